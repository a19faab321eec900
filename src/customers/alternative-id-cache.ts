import { ALTERNATIVE_ID_TTL_SECONDS, kvKeys } from "../lib/kv-keys";
import { type CustomerRow, findCustomerById, findLiveCustomerByAlternativeId } from "./customers.repository";

type Storage = { DB: D1Database; KV: KVNamespace };
type Background = (promise: Promise<unknown>) => void;

/**
 * Alternative ID → live customer. KV answers first (alternative ID → customer id); D1 then
 * confirms that customer still holds that alternative ID, so a stale or missing KV entry
 * costs a fallback query, never a wrong customer or a wrong 404. Misses repair the cache.
 */
export async function resolveByAlternativeId(
  env: Storage,
  orgId: string,
  alternativeId: string,
  background: Background,
): Promise<CustomerRow | null> {
  const key = await kvKeys.alternativeId(orgId, alternativeId);
  const cachedId = await env.KV.get(key);
  if (cachedId !== null) {
    const row = await findCustomerById(env.DB, orgId, cachedId);
    if (row && row.archived_at === null && row.alternative_id === alternativeId) return row;
  }
  const row = await findLiveCustomerByAlternativeId(env.DB, orgId, alternativeId);
  if (row) background(env.KV.put(key, row.id, { expirationTtl: ALTERNATIVE_ID_TTL_SECONDS }));
  else if (cachedId !== null) await env.KV.delete(key);
  return row;
}

/**
 * Keeps KV in step after a write that D1 has committed. Removals are awaited (an archived
 * customer's entry must be gone when the response arrives); additions are cache fills and
 * run in the background.
 */
export async function syncAlternativeId(
  env: Storage,
  orgId: string,
  before: CustomerRow | null,
  after: CustomerRow,
  background: Background,
): Promise<void> {
  const previous = before?.alternative_id ?? null;
  const current = after.archived_at === null ? after.alternative_id : null;
  if (previous !== null && previous !== current) {
    await env.KV.delete(await kvKeys.alternativeId(orgId, previous));
  }
  if (current !== null && current !== previous) {
    const key = await kvKeys.alternativeId(orgId, current);
    background(env.KV.put(key, after.id, { expirationTtl: ALTERNATIVE_ID_TTL_SECONDS }));
  }
}
