import { ExpiringLru } from "./expiring-lru";
import { kvKeys } from "./kv-keys";

/**
 * A KV record of the credentials this deployment knows: the hash of every live API key and the
 * id of every webhook endpoint. It is read only for an address over its failure budget
 * (failure-limit.ts), to tell a credential worth one D1 read from a guess, so that
 * a valid key or a signed delivery still passes from a limited address, cold, while a guess from
 * it never reaches D1.
 *
 * The record is a permit to ask D1, never the answer: D1 (through the API-key cache tiers, or
 * the endpoint memo) still decides whether the key is live or the endpoint exists. So KV's
 * eventual consistency costs no correctness:
 * - a revoked key or deleted endpoint whose record another location still sees (up to about
 *   60 s, KV's cache) buys a limited address one D1 read, answered "unknown" and then memoized
 *   (unknown-keys.ts, the endpoint memo); revocation still takes effect within 60 s, decided as
 *   before (api-key-cache.ts);
 * - a record written a moment ago may not be visible in other locations yet: a key created there
 *   and used at once, cold, from an address over its budget in another location is refused
 *   until KV catches up (usually seconds, at most about a minute). Its own location sees it at once.
 *
 * Written when a key or endpoint is created and dropped when it is revoked or deleted; a credential
 * from before this record existed is added the first time D1 confirms it (`confirmLiveCredential`).
 */
/** The record's KV key for each kind of credential (built in kv-keys.ts). */
export const liveCredential = {
  apiKey: kvKeys.liveApiKey,
  webhookEndpoint: kvKeys.liveWebhookEndpoint,
};

type Kv = Pick<KVNamespace, "get" | "put" | "delete">;

export async function isLiveCredential(kv: Kv, record: string): Promise<boolean> {
  try {
    return (await kv.get(record)) !== null;
  } catch {
    // KV trouble: treat as unknown, which for a limited address means the 429 it had anyway.
    return false;
  }
}

export async function rememberLiveCredential(kv: Kv, record: string): Promise<void> {
  await kv.put(record, "1");
  confirmed.set(record, true);
}

export async function forgetLiveCredential(kv: Kv, record: string): Promise<void> {
  confirmed.delete(record);
  await kv.delete(record);
}

/** Records this isolate wrote or saw lately: a confirmation costs KV nothing more for an hour. */
const confirmed = new ExpiringLru<string, true>(10_000, 60 * 60 * 1000);

/**
 * After D1 confirmed the credential live: makes sure its record exists (credentials created before
 * the record was kept get one here). At most one KV read per credential per isolate per hour, and
 * a write only when the record is missing. Run it in the background; it never decides an answer.
 */
export async function confirmLiveCredential(kv: Kv, record: string): Promise<void> {
  if (confirmed.has(record)) return;
  if ((await kv.get(record)) === null) await kv.put(record, "1");
  confirmed.set(record, true);
}
