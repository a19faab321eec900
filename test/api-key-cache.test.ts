import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  API_KEY_CACHE_TTL_SECONDS,
  ENTRY_HEADERS,
  entryUrl,
  findActiveKey,
  forgetRevokedKey,
  ISOLATE_TIER_SECONDS,
  REVOCATION_BOUND_SECONDS,
  REVOCATION_WORST_CASE_SECONDS,
  rememberActiveKey,
} from "../src/auth/api-key-cache";
import { sha256Hex } from "../src/lib/crypto";
import { type ApiKeyWithSecret, type Called, call, countingD1, newOrganization, type Problem } from "./helpers";

/** How api_keys stores a secret: its hex SHA-256. */
const hashOf = (secret: string) => sha256Hex(secret);
const keyIdOf = async (secret: string) =>
  (
    await env.DB.prepare("SELECT id FROM api_keys WHERE key_hash = ?1")
      .bind(await hashOf(secret))
      .first<{ id: string }>()
  )?.id;

/** The secret a key create answered in full; fails the test when it is missing. */
function secretOf(created: Called<ApiKeyWithSecret>): string {
  const { secret } = created.body;
  if (secret === null) throw new Error(`no secret in the create response: ${created.text}`);
  return secret;
}

/** GET /v1/customers through a D1 binding that counts round trips. */
async function listCounted(key: string) {
  const d1 = countingD1(env.DB);
  const response = await call("GET", "/v1/customers", { key, env: { ...env, DB: d1.db } });
  return { status: response.status, roundTrips: d1.roundTrips() };
}

/** Spies on every Cache API operation; `calls()` is how many ran since. */
function spyOnCache() {
  const spies = (["match", "put", "delete"] as const).map((method) => vi.spyOn(caches.default, method));
  return { calls: () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0) };
}

/**
 * A revocation made elsewhere (another isolate or location): stored in D1, this isolate's memory
 * and this location's cache untouched — as another isolate sees it, whose tiers were filled before.
 */
const revokeInD1Only = async (secret: string) =>
  env.DB.prepare("UPDATE api_keys SET revoked_at = ?2 WHERE key_hash = ?1")
    .bind(await hashOf(secret), new Date().toISOString())
    .run();

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("API-key lookups cached per isolate, then per location (Cache API), then D1", () => {
  it("the first request reads the key from D1; later ones in this location do not", async () => {
    const { key } = await newOrganization();
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 2 });
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 });
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 });
  });

  it("a revoked key is refused at once in the isolate and location that revoked it, though it was cached", async () => {
    const { key } = await newOrganization();
    const second = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "second" } });
    const secret = secretOf(second);
    expect(await listCounted(secret)).toEqual({ status: 200, roundTrips: 2 });
    expect(await listCounted(secret)).toEqual({ status: 200, roundTrips: 1 }); // cached now

    expect((await call("DELETE", `/v1/api_keys/${second.body.id}`, { key })).status).toBe(200);
    const refused = await call<Problem>("GET", "/v1/customers", { key: secret });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("unauthorized");
    // The other key of the organization is untouched.
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200);
  });

  it("revoking also deletes the entry the previous release cached (isolates still running it read that)", async () => {
    const { key } = await newOrganization();
    const second = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "second" } });
    const previousReleaseEntry = entryUrl(await hashOf(secretOf(second))).replace("/v2/live/", "/v1/live/");
    await caches.default.put(previousReleaseEntry, new Response("{}", { headers: { "Cache-Control": "max-age=30" } }));
    expect(await caches.default.match(previousReleaseEntry)).toBeDefined();
    expect((await call("DELETE", `/v1/api_keys/${second.body.id}`, { key })).status).toBe(200);
    expect(await caches.default.match(previousReleaseEntry)).toBeUndefined();
  });

  it("a key that revokes itself is refused on its next request, though it was cached", async () => {
    const { key } = await newOrganization();
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200);
    const id = await keyIdOf(key);
    expect((await call("DELETE", `/v1/api_keys/${id}`, { key })).status).toBe(200);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401);
  });

  it("a lookup that read D1 before a revocation and caches after it does not bring the key back", async () => {
    const { orgId, key } = await newOrganization();
    const id = await keyIdOf(key);
    const other = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "other" } });
    expect((await call("DELETE", `/v1/api_keys/${id}`, { key: other.body.secret })).status).toBe(200);
    // The racing lookup saw the key live, and writes its cache entry only now.
    await rememberActiveKey(await hashOf(key), { id: id ?? "", org_id: orgId });
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401);
  });

  it(`a revocation stored elsewhere takes effect within ${REVOCATION_WORST_CASE_SECONDS} s (every tier added up, ≤ 60 s)`, async () => {
    expect(REVOCATION_WORST_CASE_SECONDS).toBeLessThanOrEqual(REVOCATION_BOUND_SECONDS);
    expect(REVOCATION_BOUND_SECONDS).toBe(60);
    const { key } = await newOrganization();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const at = (seconds: number) => vi.setSystemTime(start + seconds * 1000);
    at(0);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200); // in memory and the location cache
    await revokeInD1Only(key);

    at(ISOLATE_TIER_SECONDS - 1);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200); // the isolate's memory, still fresh
    // Worst case: memory expired, the location entry copied into memory a moment before it expires.
    at(API_KEY_CACHE_TTL_SECONDS - 1);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200);
    at(API_KEY_CACHE_TTL_SECONDS - 1 + ISOLATE_TIER_SECONDS - 1);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200); // that copy, still fresh
    at(API_KEY_CACHE_TTL_SECONDS - 1 + ISOLATE_TIER_SECONDS);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401); // both expired: D1 decides
    expect(API_KEY_CACHE_TTL_SECONDS - 1 + ISOLATE_TIER_SECONDS).toBeLessThanOrEqual(REVOCATION_WORST_CASE_SECONDS);
  });

  it("the isolate's memory expires after its freshness, then the location cache answers, not D1", async () => {
    const { orgId, key } = await newOrganization();
    const hash = await hashOf(key);
    const id = await keyIdOf(key);
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const tasks: Promise<unknown>[] = [];
    expect(await findActiveKey(env.DB, hash, (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    await Promise.all(tasks);

    vi.setSystemTime(start + ISOLATE_TIER_SECONDS * 1000);
    const cache = spyOnCache();
    const d1 = countingD1(env.DB);
    expect(await findActiveKey(d1.db, hash, (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    expect(cache.calls()).toBe(1); // one match
    expect(d1.roundTrips()).toBe(0);
    // Copied into memory again: the next request makes no call at all.
    expect(await findActiveKey(d1.db, hash, (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    expect(cache.calls()).toBe(1);
    expect(d1.roundTrips()).toBe(0);
  });

  it("a warm isolate makes no platform call for the key: no Cache API operation, no D1 query", async () => {
    const { key } = await newOrganization();
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 2 }); // the key from D1, then the list
    const cache = spyOnCache();
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 }); // the list only
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 });
    expect(cache.calls()).toBe(0);
  });

  it("a lookup that read D1 before a revocation in this isolate does not put the key back in memory", async () => {
    const { orgId, key } = await newOrganization();
    const hash = await hashOf(key);
    const id = await keyIdOf(key);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A D1 binding whose answer arrives only after the revocation below.
    const slow = new Proxy(env.DB, {
      get(target, name) {
        if (name !== "prepare") return Reflect.get(target, name).bind(target);
        return (sql: string) => {
          const statement = target.prepare(sql);
          return {
            bind: (...args: unknown[]) => {
              const bound = statement.bind(...args);
              return {
                first: async () => {
                  await released;
                  return bound.first();
                },
              };
            },
          };
        };
      },
    });
    const tasks: Promise<unknown>[] = [];
    const racing = findActiveKey(slow, hash, (task) => tasks.push(task));
    const read = await env.DB.prepare("SELECT id, org_id FROM api_keys WHERE key_hash = ?1").bind(hash).first();
    expect(read).toEqual({ id, org_id: orgId });
    await forgetRevokedKey(hash); // this isolate revokes (before D1 says so, to keep the racing read live)
    release();
    expect(await racing).toEqual({ id, org_id: orgId }); // it read the key live
    await Promise.all(tasks);
    await revokeInD1Only(key);
    const d1 = countingD1(env.DB);
    expect(await findActiveKey(d1.db, hash, () => undefined)).toBeNull();
    expect(d1.roundTrips()).toBe(1);
  });

  it("a key created a moment ago works at once, on a warm isolate", async () => {
    const { key } = await newOrganization();
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200);
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "fresh" } });
    expect(created.status).toBe(201);
    expect((await call("GET", "/v1/customers", { key: created.body.secret })).status).toBe(200);
  });

  // (Authentication also remembers unknown hashes briefly per isolate: see auth-storage.test.ts.)
  it("unknown keys are not cached: a key stored after a refusal is found at once", async () => {
    const { orgId } = await newOrganization();
    const secret = "rk_key_stored_after_a_refusal_0123456789";
    const ignore = () => undefined;
    expect(await findActiveKey(env.DB, await hashOf(secret), ignore)).toBeNull();
    await env.DB.prepare(
      "INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, NULL, ?3, ?4, ?5)",
    )
      .bind("key_0000000000000000000000LATE", orgId, await hashOf(secret), secret.slice(0, 7), new Date().toISOString())
      .run();
    expect(await findActiveKey(env.DB, await hashOf(secret), ignore)).toEqual({
      id: "key_0000000000000000000000LATE",
      org_id: orgId,
    });
  });

  it("reads through the caches: the D1 answer is kept in memory at once and in the location in the background", async () => {
    const { orgId, key } = await newOrganization();
    const id = await keyIdOf(key);
    const tasks: Promise<unknown>[] = [];
    expect(await findActiveKey(env.DB, await hashOf(key), (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    expect(tasks).toHaveLength(1);
    await Promise.all(tasks);
    const entry = await caches.default.match(entryUrl(await hashOf(key)));
    expect(entry?.headers.get(ENTRY_HEADERS.id)).toBe(id);
    expect(entry?.headers.get(ENTRY_HEADERS.orgId)).toBe(orgId);
    const d1 = countingD1(env.DB);
    expect(await findActiveKey(d1.db, await hashOf(key), (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    expect(d1.roundTrips()).toBe(0);
    expect(tasks).toHaveLength(1);
  });

  it("a failing cache falls back to D1", async () => {
    const { key } = await newOrganization();
    vi.spyOn(caches.default, "match").mockRejectedValue(new Error("cache down"));
    vi.spyOn(caches.default, "put").mockRejectedValue(new Error("cache down"));
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 2 });
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 }); // the isolate's memory
  });

  it("a cache entry without a valid expiry is ignored", async () => {
    const { orgId, key } = await newOrganization();
    const id = (await keyIdOf(key)) ?? "";
    // An entry written by some other code path, without an expiry, must not authenticate.
    await caches.default.put(
      entryUrl(await hashOf(key)),
      new Response(null, {
        headers: { [ENTRY_HEADERS.id]: id, [ENTRY_HEADERS.orgId]: orgId, "Cache-Control": "max-age=30" },
      }),
    );
    await revokeInD1Only(key);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401);
  });
});
