import type { CustomerRow } from "../customer-records/customer-columns";
import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { followUp } from "../lib/follow-up";
import { ALTERNATIVE_ID_TTL_SECONDS, kvKeys } from "../lib/kv-keys";
import { findById, findLiveByAlternativeId } from "./customers.repository";

/** The storage a request reaches: its D1 handle and the KV namespace. */
export type Storage = { db: Db; kv: KVNamespace };

/**
 * Alternative ID → customer id, in two cache tiers in front of D1, which always decides:
 * - this isolate's memo (recent resolutions; no round trip at all), then
 * - KV (shared by every isolate, eventually consistent).
 * Whichever tier answers, D1 then confirms that the customer is live and still holds that
 * alternative ID, so a stale or missing entry costs a fallback query, never a wrong customer
 * or a wrong 404. Both tiers are keyed by the KV key, which holds only a hash of the
 * alternative ID, so neither keeps the caller's value.
 *
 * Both tiers are filled by lookups (read-through), not by creates or changes: most customers
 * are never looked up by alternative ID, and a KV write per create would cost create a third
 * of its throughput for entries nobody reads.
 */
const MEMO_CAPACITY = 10_000;
const memo = new Map<string, string>();

/** Sets a key as the most recent (a Map iterates in insertion order), dropping the oldest past capacity. */
function setRecent<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MEMO_CAPACITY) map.delete(map.keys().next().value as string);
}

/**
 * Releases seen by this isolate, on a logical clock, so that a lookup that read D1 before a
 * release does not cache what it read after it: a DELETE by alternative ID resolves (and may
 * start a fill), then archives. Nothing waits on another request's work; a fill that lands
 * after a release undoes itself. Lookups in other isolates can still race a release: their
 * fill holds only the customer id, D1 refuses it, and the next lookup deletes it.
 */
let clock = 0;
const releasedAt = new Map<string, number>();

const releasedSince = (key: string, tick: number) => (releasedAt.get(key) ?? -1) > tick;

const noteRelease = (key: string) => setRecent(releasedAt, key, ++clock);

/** Caches a resolution made by a lookup that started at `startedAt`, unless a release came since. */
function cacheResolution(
  kv: KVNamespace,
  key: string,
  customerId: string,
  startedAt: number,
  fill: Background | null,
): void {
  if (releasedSince(key, startedAt)) return;
  setRecent(memo, key, customerId);
  if (!fill) return;
  fill(
    (async () => {
      await kv.put(key, customerId, { expirationTtl: ALTERNATIVE_ID_TTL_SECONDS });
      if (releasedSince(key, startedAt)) await kv.delete(key);
    })(),
  );
}

/** The customer with this id if it is live and holds this alternative ID (one D1 read). */
async function confirmed(db: Db, orgId: string, customerId: string, alternativeId: string) {
  const row = await findById(db, orgId, customerId);
  return row && row.archived_at === null && row.alternative_id === alternativeId ? row : null;
}

export async function resolveByAlternativeId(
  storage: Storage,
  orgId: string,
  alternativeId: string,
  background: Background,
): Promise<CustomerRow | null> {
  const startedAt = ++clock;
  const key = await kvKeys.alternativeId(orgId, alternativeId);
  const memoId = memo.get(key);
  if (memoId !== undefined) {
    const row = await confirmed(storage.db, orgId, memoId, alternativeId);
    if (row) {
      cacheResolution(storage.kv, key, row.id, startedAt, null);
      return row;
    }
    memo.delete(key);
  }
  const cachedId = await storage.kv.get(key);
  // KV naming the customer D1 just refused for the memo would be refused again.
  if (cachedId !== null && cachedId !== memoId) {
    const row = await confirmed(storage.db, orgId, cachedId, alternativeId);
    if (row) {
      cacheResolution(storage.kv, key, row.id, startedAt, null);
      return row;
    }
  }
  const row = await findLiveByAlternativeId(storage.db, orgId, alternativeId);
  if (row) cacheResolution(storage.kv, key, row.id, startedAt, background);
  // A stale entry D1 refused: dropping it is repair, never a reason to fail the lookup.
  else if (cachedId !== null) await followUp(background, () => storage.kv.delete(key));
  return row;
}

/**
 * After a write that D1 has committed: an alternative ID the customer released (changed or
 * archived) leaves this isolate's memo at once, and KV as follow-up work (`followUp`: tried
 * before the response, retried in the background if KV fails, never answered as an error;
 * every KV hit is confirmed by D1, so an entry that outlives a failed delete resolves nothing
 * until it expires). Other isolates' memos learn it from D1 at their next lookup. A newly
 * held alternative ID is cached by its first lookup.
 */
export async function forgetReleasedAlternativeId(
  storage: Pick<Storage, "kv">,
  orgId: string,
  before: CustomerRow,
  after: CustomerRow,
  background: Background,
): Promise<void> {
  const previous = before?.alternative_id ?? null;
  const current = after.archived_at === null ? after.alternative_id : null;
  if (previous === null || previous === current) return;
  const key = await kvKeys.alternativeId(orgId, previous);
  noteRelease(key);
  memo.delete(key);
  await followUp(background, () => storage.kv.delete(key));
}
