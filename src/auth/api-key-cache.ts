import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { BoundedLru } from "../lib/lru";
import { type ActiveKey, findActiveKeyByHash } from "./auth.repository";

/**
 * Live API keys in two cache tiers in front of the D1 lookup that authentication would otherwise
 * make on every request:
 * 1. this isolate's memory (a bounded LRU, entries fresh for ISOLATE_TIER_SECONDS): a warm
 *    isolate makes no platform call at all for its key;
 * 2. the location's Cache API (shared by every isolate in a data center, entries fresh for
 *    API_KEY_CACHE_TTL_SECONDS, an expiry inside the entry checked too, so the bound does not
 *    rest on the cache honouring max-age);
 * 3. D1, which decides.
 *
 * Revocation takes effect within 60 s everywhere. Worst case: the revocation lands in D1 just
 * after a lookup read the key live and wrote a location entry (fresh for 30 s); just before that
 * entry expires an isolate copies it into its memory (fresh for 15 s). So every tier adds its
 * freshness: 15 s (isolate) + 30 s (location) + the D1 read's staleness. The key lookup reads the
 * primary today (0 s), which leaves 15 s of the 60 for a read replica's lag if the lookup ever
 * reads through a replica session: 15 + 30 + 15 = 60 (REVOCATION_BOUND_SECONDS; a test holds the sum to it).
 * - In the revoking isolate revocation is immediate: revoke drops its memory entry, and a lookup
 *   that read D1 before the revocation does not put the key back (a revocation counter).
 * - In the revoking location the Cache API entry is deleted before the revoke answers, so other
 *   isolates there stop accepting the key when their memory entry expires (≤ 15 s).
 * - A lookup that read D1 just before a revocation and writes its location entry just after the
 *   revoke deleted it would bring the key back for 30 s. So revoking first leaves a revocation
 *   marker, and every write of an entry is followed by a look for that marker, which deletes the
 *   entry again. (Cache operations in one location are taken to be ordered.)
 * Only live keys are cached: an unknown key falls through to D1 every time, so a new key works at
 * once. Where the Cache API does nothing (workers.dev, previews), the isolate tier still spares
 * D1 all but one lookup per key per isolate per 15 s. Cache trouble never fails a request.
 */
export const ISOLATE_TIER_SECONDS = 15;
export const API_KEY_CACHE_TTL_SECONDS = 30;
/** How far behind the primary the D1 read behind the caches may be (0 today: it reads the primary). */
export const D1_STALENESS_BUDGET_SECONDS = 15;
/** The contract (spec §7): a revocation takes effect within this everywhere. */
export const REVOCATION_BOUND_SECONDS = 60;
/** The worst case, every tier's freshness added up (a test holds it within the contract). */
export const REVOCATION_WORST_CASE_SECONDS =
  ISOLATE_TIER_SECONDS + API_KEY_CACHE_TTL_SECONDS + D1_STALENESS_BUDGET_SECONDS;
/** Distinct live keys one isolate keeps (about 200 bytes each). */
const ISOLATE_TIER_CAPACITY = 1_000;
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

type IsolateEntry = { key: ActiveKey; freshUntil: number };
const isolateTier = new BoundedLru<string, IsolateEntry>(ISOLATE_TIER_CAPACITY);
/** Revocations seen by this isolate: a lookup that began before one does not fill the isolate tier. */
let revocationsSeen = 0;

function fromIsolate(keyHash: string): ActiveKey | null {
  const entry = isolateTier.get(keyHash);
  if (!entry) return null;
  if (entry.freshUntil > Date.now()) return entry.key;
  isolateTier.delete(keyHash);
  return null;
}

function keepInIsolate(keyHash: string, key: ActiveKey, revocationsAtStart: number): void {
  if (revocationsSeen !== revocationsAtStart) return;
  isolateTier.set(keyHash, { key, freshUntil: Date.now() + ISOLATE_TIER_SECONDS * 1000 });
}

/**
 * The live key with this hash: from this isolate's memory, else this location's cache, else D1
 * (whose answer is then cached in the location in the background). Null when the key is unknown
 * or revoked; null is never cached, so a key created a moment ago is found in D1. `beforeD1`
 * runs only when neither cache tier knows the key, and may throw to refuse the D1 read;
 * `afterD1Found` runs (in the background) when D1 found the key live.
 */
export async function findActiveKey(
  db: Db,
  keyHash: string,
  background: Background,
  beforeD1: () => void | Promise<void> = () => {},
  afterD1Found?: () => Promise<void>,
): Promise<ActiveKey | null> {
  const remembered = fromIsolate(keyHash);
  if (remembered) return remembered;
  const revocationsAtStart = revocationsSeen;
  const cache = cacheOf();
  const cached = cache ? await readEntry(cache, keyHash) : null;
  if (cached) {
    keepInIsolate(keyHash, cached, revocationsAtStart);
    return cached;
  }
  await beforeD1();
  const key = await findActiveKeyByHash(db, keyHash);
  if (!key) return null;
  keepInIsolate(keyHash, key, revocationsAtStart);
  if (cache) background(rememberActiveKey(keyHash, key).catch(() => undefined));
  if (afterD1Found) background(afterD1Found());
  return key;
}

/**
 * After a revocation is stored in D1: this isolate stops accepting the key at once, and this
 * location's cache before the revoke request answers. The marker goes first, so a lookup racing
 * the revocation that writes its entry after the delete still finds the marker and removes it.
 */
export async function forgetRevokedKey(keyHash: string): Promise<void> {
  revocationsSeen++;
  isolateTier.delete(keyHash);
  const cache = cacheOf();
  if (!cache) return;
  await cache.put(markerUrl(keyHash), cacheable("revoked", REVOCATION_MARKER_TTL_SECONDS));
  await Promise.all([cache.delete(entryUrl(keyHash)), cache.delete(previousEntryUrl(keyHash))]);
}
