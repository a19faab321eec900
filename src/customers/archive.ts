import { hmacSha256Hex } from "../lib/crypto";
import { nowIso } from "../lib/fields";
import { logError } from "../lib/logger";
import { syncAlternativeId } from "./alternative-id-cache";
import { archiveCascadeStatements } from "./archive-cascade";
import { archiveCustomer, type CustomerRow } from "./customers.repository";

type Background = (promise: Promise<unknown>) => void;

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
export async function archiveLiveCustomer(
  env: Env,
  orgId: string,
  row: CustomerRow,
  background: Background,
): Promise<CustomerRow | null> {
  const now = nowIso();
  const hash = row.alternative_id === null ? null : await alternativeIdHash(env, orgId, row.alternative_id);
  if (row.alternative_id !== null && hash === null) {
    logError("ALTERNATIVE_ID_HASH_KEY is not set: late webhook events for this archived customer cannot be refused", {
      org_id: orgId,
    });
  }
  const cascade = archiveCascadeStatements(env.DB, orgId, row.id, now);
  const archived = await archiveCustomer(env.DB, orgId, row.seq, row.version, now, hash, cascade);
  if (archived) await syncAlternativeId(env, orgId, row, archived, background);
  return archived;
}
