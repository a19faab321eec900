import { ApiError } from "../lib/errors";
import { randomToken } from "../lib/ids";
import { claimImportBudget } from "../organizations/import-budget.repository";
import { MAX_IMPORT_ITEMS } from "./provision.schemas";

/** The deployment setting that shapes every organization's import budget (wrangler.toml). */
export type ImportBudgetVars = { IMPORT_ITEMS_PER_MINUTE?: string };

export const DEFAULT_IMPORT_ITEMS_PER_MINUTE = 6_000;

/** Items per minute an organization's imports may add: the setting if it is a positive number. */
export function importItemsPerMinute(vars: ImportBudgetVars): number {
  const configured = Number(vars.IMPORT_ITEMS_PER_MINUTE);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_IMPORT_ITEMS_PER_MINUTE;
}

/**
 * Spends `items` from the organization's import budget before anything of the import is read or
 * checked, or refuses the import whole with `429 rate_limited` and the seconds until the budget
 * holds that many. The bucket holds one full import (MAX_IMPORT_ITEMS) and refills at
 * IMPORT_ITEMS_PER_MINUTE: a large import is the request that holds D1 longest, and a neighbour's
 * requests wait behind it (docs/tenancy.md).
 */
export async function spendImportBudget(
  deps: { db: Parameters<typeof claimImportBudget>[0]; orgId: string; settings: ImportBudgetVars },
  items: number,
): Promise<void> {
  if (items === 0) return;
  const perMinute = importItemsPerMinute(deps.settings);
  const claim = await claimImportBudget(deps.db, deps.orgId, items, randomToken(16), Date.now(), {
    capacity: MAX_IMPORT_ITEMS,
    perMillisecond: perMinute / 60_000,
  });
  if (claim.admitted) return;
  const retryAfter = Math.max(1, Math.ceil(((items - claim.available) * 60) / perMinute));
  throw new ApiError(
    "rate_limited",
    `This organization's imports may add ${perMinute.toLocaleString("en-US")} items a minute, at most ${MAX_IMPORT_ITEMS.toLocaleString("en-US")} at once; its budget holds ${Math.floor(claim.available)} now, enough for these ${items} in ${retryAfter} seconds. Nothing was written.`,
    { headers: { "Retry-After": String(retryAfter) } },
  );
}
