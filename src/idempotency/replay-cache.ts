import type { Db } from "../lib/db";
import { kvKeys } from "../lib/kv-keys";
import { type CompletedKeyRow, findKeptVersion, redactedKeysOf } from "./idempotency.repository";
import type { KeptResponse } from "./kept-response";

/** The storage a request reaches: its D1 handle and the KV namespace. */
export type Storage = { db: Db; kv: KVNamespace };

/** A replay cache entry: the kept response and the fingerprint it answers. */
export type CachedReplay = KeptResponse & { fingerprint: string };

/** KV refuses an expirationTtl under 60 seconds. */
const KV_MIN_TTL_SECONDS = 60;

export function keptOf(row: CompletedKeyRow): KeptResponse {
  return { status: row.status, headers: JSON.parse(row.headers) as Record<string, string>, body: row.body };
}

/** The cached replay for this key, or null. KV trouble is a miss: D1 holds the truth. */
export async function readCachedReplay(kv: KVNamespace, orgId: string, keyHash: string): Promise<CachedReplay | null> {
  try {
    const entry = await kv.get<CachedReplay>(kvKeys.idempotentReplay(orgId, keyHash), "json");
    return entry && typeof entry.fingerprint === "string" && typeof entry.body === "string" ? entry : null;
  } catch {
    return null;
  }
}

/**
 * Caches a kept response until its D1 retention ends (never longer, so KV cannot replay a
 * response D1 has already let go of). For a response about a customer, D1 is asked again
 * after the put: an archive that redacted the row after we read it may have deleted the KV
 * entry before our put landed, and then the put is undone.
 */
export async function cacheReplay(storage: Storage, row: CompletedKeyRow): Promise<void> {
  const ttl = Math.floor((Date.parse(row.expires_at) - Date.now()) / 1000);
  if (ttl < KV_MIN_TTL_SECONDS) return;
  const key = kvKeys.idempotentReplay(row.org_id, row.key_hash);
  const entry: CachedReplay = { fingerprint: row.fingerprint, ...keptOf(row) };
  await storage.kv.put(key, JSON.stringify(entry), { expirationTtl: ttl });
  if (row.customer_id === null) return;
  const current = await findKeptVersion(storage.db, row.org_id, row.key_hash).catch(() => null);
  if (current?.completed_at !== row.completed_at || current?.redacted_at !== row.redacted_at) {
    await storage.kv.delete(key);
  }
}

export async function forgetCachedReplay(kv: KVNamespace, orgId: string, keyHash: string): Promise<void> {
  await kv.delete(kvKeys.idempotentReplay(orgId, keyHash));
}

/**
 * After an archive committed: drops the KV copies of every kept response about the customer
 * that D1 holds redacted, so their replays fall back to the redacted rows. Idempotent and
 * cheap (one indexed read, a KV delete per kept response), so a repeated DELETE of the
 * archived customer runs it again to finish what a failed attempt left.
 */
export async function forgetRedactedReplays(storage: Storage, orgId: string, customerId: string): Promise<void> {
  const keyHashes = await redactedKeysOf(storage.db, orgId, customerId);
  await Promise.all(keyHashes.map((keyHash) => forgetCachedReplay(storage.kv, orgId, keyHash)));
}
