import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { randomToken } from "../lib/ids";
import { describeError, logError } from "../lib/logger";
import { claimImportBudget, refundImportBudget } from "../organizations/import-budget.repository";
import { DEFAULT_IMPORT_ITEMS_PER_MINUTE, MAX_IMPORT_ITEMS } from "./provision.schemas";

/** The deployment setting that shapes every organization's import budget (wrangler.toml). */
export type ImportBudgetVars = { IMPORT_ITEMS_PER_MINUTE?: string };

/** Items per minute an organization's imports may add: the setting if it is a positive number. */
export function importItemsPerMinute(vars: ImportBudgetVars): number {
  const configured = Number(vars.IMPORT_ITEMS_PER_MINUTE);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_IMPORT_ITEMS_PER_MINUTE;
}

/**
 * What the bucket holds when full: ten seconds of the rate, and never less than one full import
 * (so the default's 100 a second holds 1,000, and a rate raised for a migration lets several
 * clients import at once instead of queueing behind one import's worth).
 */
export const importBudgetCapacity = (perMinute: number): number => Math.max(MAX_IMPORT_ITEMS, perMinute / 6);

/** Items spent on an import; `refund` gives them back when the import wrote nothing after all. */
export type SpentBudget = { refund: () => Promise<void> };

/**
 * Spends `items` from the organization's import budget before any item is parsed or checked,
 * or refuses the import whole with `429 rate_limited` and the seconds until the budget holds
 * that many. The bucket (`importBudgetCapacity`) refills at IMPORT_ITEMS_PER_MINUTE: a large
 * import is the request that holds D1 longest, and another organization's requests wait behind
 * it (docs/tenancy.md).
 */
export async function spendImportBudget(
  deps: { db: Db; orgId: string; settings: ImportBudgetVars; events: { requestId: string | null } },
  items: number,
): Promise<SpentBudget> {
  const perMinute = importItemsPerMinute(deps.settings);
  const capacity = importBudgetCapacity(perMinute);
  const claim = await claimImportBudget(deps.db, deps.orgId, items, randomToken(16), Date.now(), {
    capacity,
    perMillisecond: perMinute / 60_000,
  });
  if (claim.admitted) {
    return {
      // Best effort: a refund that fails leaves the items spent, and the import's own answer stands.
      refund: () =>
        refundImportBudget(deps.db, deps.orgId, items, capacity).catch((error: unknown) =>
          logError("could not refund an import's budget", {
            request_id: deps.events.requestId,
            error: describeError(error),
          }),
        ),
    };
  }
  const retryAfter = Math.max(1, Math.ceil(((items - claim.available) * 60) / perMinute));
  throw new ApiError(
    "rate_limited",
    `This organization's imports may add ${perMinute.toLocaleString("en-US")} items a minute, at most ${Math.floor(capacity).toLocaleString("en-US")} at once; its budget holds ${Math.floor(claim.available)} now, enough for these ${items} in ${retryAfter} seconds. Nothing was written.`,
    { headers: { "Retry-After": String(retryAfter) } },
  );
}
