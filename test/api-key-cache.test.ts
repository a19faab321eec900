import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  API_KEY_CACHE_TTL_SECONDS,
  ENTRY_HEADERS,
  entryUrl,
  findActiveKey,
  rememberActiveKey,
} from "../src/api-keys/api-key-cache";
import { sha256Hex } from "../src/lib/crypto";
import { call, countingD1, newOrganization } from "./helpers";

/** How api_keys stores a secret: its hex SHA-256. */
const hashOf = (secret: string) => sha256Hex(secret);
const keyIdOf = async (secret: string) =>
  (
    await env.DB.prepare("SELECT id FROM api_keys WHERE key_hash = ?1")
      .bind(await hashOf(secret))
      .first<{ id: string }>()
  )?.id;

/** GET /v1/customers through a D1 binding that counts round trips. */
async function listCounted(key: string) {
  const d1 = countingD1(env.DB);
  const response = await call("GET", "/v1/customers", { key, env: { ...env, DB: d1.db } });
  return { status: response.status, roundTrips: d1.roundTrips() };
}

/** A revocation made in another location: stored in D1, this location's cache untouched. */
const revokeInD1Only = async (secret: string) =>
  env.DB.prepare("UPDATE api_keys SET revoked_at = ?2 WHERE key_hash = ?1")
    .bind(await hashOf(secret), new Date().toISOString())
    .run();

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("API-key lookups cached per location (Cache API)", () => {
  it("the first request reads the key from D1; later ones in this location do not", async () => {
    const { key } = await newOrganization();
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 2 });
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 });
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 1 });
  });

  it("a revoked key is refused at once in the location that revoked it, though it was cached", async () => {
    const { key } = await newOrganization();
    const second = await call("POST", "/v1/api_keys", { key, body: { name: "second" } });
    const secret = second.body.secret;
    expect(await listCounted(secret)).toEqual({ status: 200, roundTrips: 2 });
    expect(await listCounted(secret)).toEqual({ status: 200, roundTrips: 1 }); // cached now

    expect((await call("DELETE", `/v1/api_keys/${second.body.id}`, { key })).status).toBe(200);
    const refused = await call("GET", "/v1/customers", { key: secret });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe("unauthorized");
    // The other key of the organization is untouched.
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200);
  });

  it("revoking also deletes the entry the previous release cached (isolates still running it read that)", async () => {
    const { key } = await newOrganization();
    const second = await call("POST", "/v1/api_keys", { key, body: { name: "second" } });
    const previousReleaseEntry = entryUrl(await hashOf(second.body.secret)).replace("/v2/live/", "/v1/live/");
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
    const other = await call("POST", "/v1/api_keys", { key, body: { name: "other" } });
    expect((await call("DELETE", `/v1/api_keys/${id}`, { key: other.body.secret })).status).toBe(200);
    // The racing lookup saw the key live, and writes its cache entry only now.
    await rememberActiveKey(await hashOf(key), { id: id ?? "", org_id: orgId });
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401);
  });

  it(`a revocation stored elsewhere takes effect here within ${API_KEY_CACHE_TTL_SECONDS} s (≤ 60 s)`, async () => {
    const { key } = await newOrganization();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200); // cached here
    await revokeInD1Only(key);

    vi.setSystemTime(start + (API_KEY_CACHE_TTL_SECONDS - 1) * 1000);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(200); // the cached entry, still fresh
    vi.setSystemTime(start + API_KEY_CACHE_TTL_SECONDS * 1000);
    expect((await call("GET", "/v1/customers", { key })).status).toBe(401);
    expect(API_KEY_CACHE_TTL_SECONDS).toBeLessThanOrEqual(60);
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

  it("reads through the cache: the D1 answer is cached in the background", async () => {
    const { orgId, key } = await newOrganization();
    const id = await keyIdOf(key);
    const tasks: Promise<unknown>[] = [];
    expect(await findActiveKey(env.DB, await hashOf(key), (task) => tasks.push(task))).toEqual({ id, org_id: orgId });
    expect(tasks).toHaveLength(1);
    await Promise.all(tasks);
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
    expect(await listCounted(key)).toEqual({ status: 200, roundTrips: 2 });
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
