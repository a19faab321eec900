import { createEmailDomainChecker } from "../email-dns";
import { ApiError } from "../lib/errors";
import type { CustomerDeps } from "./customers.service";
import type { ImportItemResult, ProvisionBody } from "./provision.schemas";

/** An import item's result when it fails: its problem, as the single routes would answer it. */
export function failure(index: number, error: ApiError): ImportItemResult {
  const { request_id: _, ...problem } = error.toProblem("");
  return { index, status: "failed", id: null, error: problem as ImportItemResult["error"] };
}

/** How many email domains an import checks at once (each lookup is an outbound request). */
const DNS_CHECKS_AT_ONCE = 4;

/** The email DNS check of every valid item, a few at a time; an unresolvable domain fails its item. */
export async function checkEmails(
  deps: CustomerDeps,
  valid: { index: number; body: ProvisionBody }[],
  results: ImportItemResult[],
): Promise<{ index: number; body: ProvisionBody }[]> {
  const check = createEmailDomainChecker({ ...deps.settings, KV: deps.kv }, { background: deps.background });
  const failed = new Set<number>();
  let next = 0;
  const worker = async () => {
    while (next < valid.length) {
      const item = valid[next++];
      if (!item) break;
      try {
        await check(item.body.email, { skip: item.body.skip_email_dns_validation });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        failed.add(item.index);
        results[item.index] = failure(item.index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: DNS_CHECKS_AT_ONCE }, worker));
  return valid.filter((item) => !failed.has(item.index));
}
