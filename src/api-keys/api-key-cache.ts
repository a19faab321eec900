import type { Background } from "../lib/background";
import { type ActiveKey, findActiveKeyByHash } from "./api-keys.repository";

/**
 * Live API keys cached in the Cache API, in front of the D1 lookup that authentication
 * would otherwise make on every request.
 *
 * Revocation stays "effective within 60 s everywhere, at once in the same location":
 * - The Cache API is per location (data center) and shared by every isolate there, so the
 *   revoke request deletes this location's entry before it answers (not a per-isolate memo,
 *   which other isolates in the same location would keep using).
 * - Elsewhere an entry lives at most API_KEY_CACHE_TTL_SECONDS (an expiry inside the entry is
 *   checked too, so the bound does not rest on the cache honouring max-age).
 * - A lookup that read D1 just before a revocation and writes its entry just after the revoke
 *   deleted it would bring the key back. So revoking first leaves a revocation marker, and every
 *   write of an entry is followed by a look for that marker, which deletes the entry again.
 *   (Cache operations in one location are taken to be ordered, as the same-location promise
 *   already assumes.)
 * Only live keys are cached: an unknown key is looked up in D1 every time, so a new key works
 * at once. Where the Cache API does nothing (some hostnames, previews), every request reads D1
 * as before. Cache trouble never fails a request: it falls back to D1.
 */
export const API_KEY_CACHE_TTL_SECONDS = 30;
/** Longer than any lookup can take between its D1 read and its look for the marker. */
export const REVOCATION_MARKER_TTL_SECONDS = 120;

// A fixed synthetic origin: one entry per key whatever hostname a request arrived on, so the
// revoke request (on any hostname) deletes the one entry every request in this location reads.
const ORIGIN = "https://api-key-cache.roster.internal";
/** The cache key of a live key's entry. */
export const entryUrl = (keyHash: string) => `${ORIGIN}/v2/live/${keyHash}`;
/**
 * Where the release before header entries kept them (a JSON body): while a deploy rolls out,
 * isolates still running it read them, so a revocation deletes both. Can go one release later.
 */
const previousEntryUrl = (keyHash: string) => `${ORIGIN}/v1/live/${keyHash}`;
const markerUrl = (keyHash: string) => `${ORIGIN}/v1/revoked/${keyHash}`;

/**
 * An entry's headers carry the key: reading headers is cheaper than reading and parsing a body
 * on every authenticated request. (Entries and markers still have a short body: whether the
 * cache stores a bodiless response is not documented.)
 */
export const ENTRY_HEADERS = {
  id: "Roster-Key-Id",
  orgId: "Roster-Org-Id",
  /** Epoch milliseconds after which the entry is not used, whatever the cache does. */
  expiresAt: "Roster-Expires-At",
} as const;

const cacheOf = (): Cache | null => (typeof caches === "undefined" ? null : caches.default);

async function readEntry(cache: Cache, keyHash: string): Promise<ActiveKey | null> {
  try {
    const hit = await cache.match(entryUrl(keyHash));
    if (!hit) return null;
    const id = hit.headers.get(ENTRY_HEADERS.id);
    const orgId = hit.headers.get(ENTRY_HEADERS.orgId);
    const expiresAt = Number(hit.headers.get(ENTRY_HEADERS.expiresAt));
    if (!id || !orgId || !(expiresAt > Date.now())) return null;
    return { id, org_id: orgId };
  } catch {
    return null;
  }
}

const cacheable = (body: string, seconds: number, headers: Record<string, string> = {}) =>
  new Response(body, { headers: { ...headers, "Cache-Control": `max-age=${seconds}` } });

/** Writes the entry, then deletes it again if the key was revoked meanwhile (see above). */
export async function rememberActiveKey(keyHash: string, key: ActiveKey): Promise<void> {
  const cache = cacheOf();
  if (!cache) return;
  const entry = cacheable("live", API_KEY_CACHE_TTL_SECONDS, {
    [ENTRY_HEADERS.id]: key.id,
    [ENTRY_HEADERS.orgId]: key.org_id,
    [ENTRY_HEADERS.expiresAt]: String(Date.now() + API_KEY_CACHE_TTL_SECONDS * 1000),
  });
  await cache.put(entryUrl(keyHash), entry);
  if (await cache.match(markerUrl(keyHash))) await cache.delete(entryUrl(keyHash));
}

/**
 * The live key with this hash, from this location's cache or else from D1 (whose answer is
 * then cached in the background). Null when the key is unknown or revoked.
 */
export async function findActiveKey(
  db: D1Database,
  keyHash: string,
  background: Background,
): Promise<ActiveKey | null> {
  const cache = cacheOf();
  const cached = cache ? await readEntry(cache, keyHash) : null;
  if (cached) return cached;
  const key = await findActiveKeyByHash(db, keyHash);
  if (key && cache) background(rememberActiveKey(keyHash, key).catch(() => undefined));
  return key;
}

/**
 * After a revocation is stored in D1: this location stops accepting the key before the
 * revoke request answers. The marker goes first, so a lookup racing the revocation that
 * writes its entry after the delete still finds the marker and removes the entry.
 */
export async function forgetRevokedKey(keyHash: string): Promise<void> {
  const cache = cacheOf();
  if (!cache) return;
  await cache.put(markerUrl(keyHash), cacheable("revoked", REVOCATION_MARKER_TTL_SECONDS));
  await Promise.all([cache.delete(entryUrl(keyHash)), cache.delete(previousEntryUrl(keyHash))]);
}
