import { forgetRedactedReplays } from "../idempotency/replay-cache";
import type { Background } from "../lib/background";
import { hmacSha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/fields";
import { logError } from "../lib/logger";
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from "../lib/retry";
import { StorageUnavailable } from "../lib/storage-errors";
import { forgetReleasedAlternativeId, resolveByAlternativeId } from "./alternative-id-cache";
import { archiveCascadeStatements } from "./archive-cascade";
import { archiveCustomer, type CustomerRow, findCustomerById } from "./customers.repository";

/**
 * The keyed hash under which an archived customer's alternative ID is remembered (so a late
 * webhook event for it can be refused) without keeping the ID itself. Null when the
 * deployment has no ALTERNATIVE_ID_HASH_KEY secret.
 */
export async function alternativeIdHash(env: Env, orgId: string, alternativeId: string): Promise<string | null> {
  if (!env.ALTERNATIVE_ID_HASH_KEY) return null;
  return hmacSha256Hex(env.ALTERNATIVE_ID_HASH_KEY, `${orgId}\n${alternativeId}`);
}

/**
 * Archives a live customer (PII erased and every cascade in one atomic batch), then drops
 * its KV entry. Null when the customer changed or was archived meanwhile: re-read and retry.
 */
export async function archiveLiveCustomer(env: Env, orgId: string, row: CustomerRow): Promise<CustomerRow | null> {
  const now = nowIso();
  const hash = row.alternative_id === null ? null : await alternativeIdHash(env, orgId, row.alternative_id);
  if (row.alternative_id !== null && hash === null) {
    logError("ALTERNATIVE_ID_HASH_KEY is not set: late webhook events for this archived customer cannot be refused", {
      org_id: orgId,
    });
  }
  const cascade = archiveCascadeStatements(env.DB, orgId, row.id, now);
  const archived = await archiveCustomer(env.DB, orgId, row.seq, row.version, now, hash, cascade);
  if (archived) {
    await forgetReleasedAlternativeId(env, orgId, row, archived);
    // The batch redacted the kept responses in D1; their KV copies must not outlive that.
    await forgetRedactedReplays(env, orgId, row.id, now);
  }
  return archived;
}

export type ArchiveByIdentityOutcome =
  | { status: "archived" | "already_archived"; customerId: string }
  | { status: "not_found" };

/**
 * Archives the customer with this id or (live) alternative ID, retrying concurrent changes;
 * used where no HTTP route decides (webhook events).
 */
export async function archiveByIdentity(
  env: Env,
  orgId: string,
  identity: { id: string } | { alternative_id: string },
  background: Background,
): Promise<ArchiveByIdentityOutcome> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const row =
      "id" in identity
        ? await findCustomerById(env.DB, orgId, identity.id)
        : await resolveByAlternativeId(env, orgId, identity.alternative_id, background);
    if (!row) return { status: "not_found" };
    if (row.archived_at !== null) return { status: "already_archived", customerId: row.id };
    const archived = await archiveLiveCustomer(env, orgId, row);
    if (archived) return { status: "archived", customerId: archived.id };
  }
  throw new StorageUnavailable("the customer kept changing while being archived");
}
