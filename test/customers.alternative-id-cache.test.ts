import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kvKeys } from "../src/lib/kv-keys";
import {
  type ArchivedCustomer,
  altPath,
  type CustomerObject,
  call,
  countingD1,
  createCustomer,
  newOrganization,
  type Problem,
} from "./helpers";

/** The KV cache of alternative IDs behind GET /v1/customers/alternative-id/{alternative_id}. */

/** A KV binding whose puts wait until some delete has gone through; the rest passes through. */
function putsHeldUntilADelete(kv: KVNamespace): KVNamespace {
  let release: () => void = () => {};
  const deleted = new Promise<void>((resolve) => {
    release = resolve;
  });
  return new Proxy(kv, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (name === "put") {
        return async (...args: Parameters<KVNamespace["put"]>) => {
          await deleted;
          return target.put(...args);
        };
      }
      if (name === "delete") {
        return async (...args: Parameters<KVNamespace["delete"]>) => {
          await target.delete(...args);
          release();
        };
      }
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
}

/** A KV binding that counts `get` calls and passes everything through. */
function countingKvGets(kv: KVNamespace): { kv: KVNamespace; gets: () => number } {
  let gets = 0;
  const counted = new Proxy(kv, {
    get(target, name) {
      const member = Reflect.get(target, name);
      if (name === "get") {
        return (...args: Parameters<KVNamespace["get"]>) => {
          gets++;
          return target.get(...args);
        };
      }
      return typeof member === "function" ? member.bind(target) : member;
    },
  });
  return { kv: counted, gets: () => gets };
}

describe("alternative-ID cache", () => {
  it("never answers from a stale KV entry", async () => {
    const { key, orgId } = await newOrganization();
    const first = await createCustomer(key, { alternative_id: "moving" });
    const second = await createCustomer(key);
    // Point the KV entry at the wrong customer, as a lost update could leave it.
    await env.KV.put(await kvKeys.alternativeId(orgId, "moving"), second.id);
    const response = await call<CustomerObject>("GET", altPath("moving"), { key });
    expect(response.body.id).toBe(first.id);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "moving"))).toBe(first.id);
  });

  it("finds the customer from D1 when KV has no entry, and refills KV", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "cold" });
    const kvKey = await kvKeys.alternativeId(orgId, "cold");
    await env.KV.delete(kvKey);
    expect((await call<CustomerObject>("GET", altPath("cold"), { key })).body.id).toBe(created.id);
    expect(await env.KV.get(kvKey)).toBe(created.id);
  });

  it("answers 404 when KV points at a customer that no longer holds the alternative ID", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "old" });
    await env.KV.put(await kvKeys.alternativeId(orgId, "gone"), created.id);
    const response = await call<Problem>("GET", altPath("gone"), { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("customer_not_found");
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "gone"))).toBeNull();
  });

  it("writes no KV entry on create; the first lookup fills it", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "fresh" });
    const kvKey = await kvKeys.alternativeId(orgId, "fresh");
    expect(await env.KV.get(kvKey)).toBeNull();
    expect((await call<CustomerObject>("GET", altPath("fresh"), { key })).body.id).toBe(created.id);
    expect(await env.KV.get(kvKey)).toBe(created.id);
  });

  it("drops the released alternative ID's KV entry when it changes, even if the lookup's fill lands later", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "before" });
    // The PATCH resolves "before" (a KV miss: it starts a fill), then releases it. Hold the
    // fill's put until the release's delete has run, the worst order KV could apply them in.
    const kv = putsHeldUntilADelete(env.KV);
    const patched = await call<CustomerObject>("PATCH", altPath("before"), {
      key,
      body: { alternative_id: "after" },
      env: { ...env, KV: kv },
    });
    expect(patched.status).toBe(200);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "before"))).toBeNull();
    expect((await call<CustomerObject>("GET", altPath("before"), { key })).status).toBe(404);
    expect((await call<CustomerObject>("GET", altPath("after"), { key })).body.id).toBe(created.id);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "after"))).toBe(created.id);
  });

  it("a lookup that read D1 before an archive caches nothing after it", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "racing" });
    // Hold the lookup's alternative-ID SELECT (already run) until the archive has answered.
    let archived: () => void = () => {};
    const archiveDone = new Promise<void>((resolve) => {
      archived = resolve;
    });
    const heldDb = new Proxy(env.DB, {
      get(target, name) {
        if (name !== "prepare") return Reflect.get(target, name).bind(target);
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (!sql.includes("alternative_id = ?2")) return statement;
          return {
            bind: (...args: unknown[]) => {
              const bound = statement.bind(...args);
              return {
                first: async () => {
                  const row = await bound.first();
                  await archiveDone;
                  return row;
                },
              };
            },
          };
        };
      },
    });
    const lookup = call<CustomerObject>("GET", altPath("racing"), { key, env: { ...env, DB: heldDb as D1Database } });
    expect((await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key })).status).toBe(200);
    archived();
    expect((await lookup).status).toBe(200); // it read the customer while it was live
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "racing"))).toBeNull();
    // Nor did it leave a memo entry: the next lookup goes straight to D1's index (one query).
    const d1 = countingD1(env.DB);
    expect((await call<CustomerObject>("GET", altPath("racing"), { key, env: { ...env, DB: d1.db } })).status).toBe(
      404,
    );
    expect(d1.roundTrips()).toBe(1);
  });

  it("answers repeated lookups from this isolate's memo, without reading KV", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "hot" });
    expect((await call<CustomerObject>("GET", altPath("hot"), { key })).body.id).toBe(created.id);
    const kv = countingKvGets(env.KV);
    const again = await call<CustomerObject>("GET", altPath("hot"), { key, env: { ...env, KV: kv.kv } });
    expect(again.body.id).toBe(created.id);
    expect(kv.gets()).toBe(0);
  });

  it("never answers from a memo entry made stale by a change it did not see", async () => {
    const { key, orgId } = await newOrganization();
    const first = await createCustomer(key, { alternative_id: "shared" });
    expect((await call<CustomerObject>("GET", altPath("shared"), { key })).body.id).toBe(first.id);
    // Another isolate moves the alternative ID: this isolate's memo and KV still say `first`.
    await env.DB.prepare("UPDATE customers SET alternative_id = 'elsewhere' WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, first.id)
      .run();
    const second = await createCustomer(key, { alternative_id: "shared" });
    const response = await call<CustomerObject>("GET", altPath("shared"), { key });
    expect(response.body.id).toBe(second.id);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "shared"))).toBe(second.id);
  });
});
