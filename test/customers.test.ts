import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kvKeys } from "../src/lib/kv-keys";
import { EXAMPLE_PII, PII_VALUES } from "./fixtures";
import { altPath, call, countingD1, createCustomer, newOrganization } from "./helpers";

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

const FULL_PROFILE = {
  ...EXAMPLE_PII,
  language: "en",
  timezone: "America/New_York",
  mail_marketing: true,
  tele_marketing: false,
  coupon_id: "WELCOME10",
  metadata: { plan_source: "signup", seats: 3, beta: true },
};

describe("create", () => {
  it("returns the whole customer object with Location and ETag", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", { key, body: FULL_PROFILE });
    expect(response.status).toBe(201);
    const customer = response.body;
    expect(Object.keys(customer)).toEqual([
      "object",
      "id",
      ...Object.keys(FULL_PROFILE),
      "has_payment_method",
      "created_at",
      "updated_at",
    ]);
    expect(customer).toMatchObject({ object: "customer", ...FULL_PROFILE, has_payment_method: false });
    expect(customer.id).toMatch(/^cus_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(customer.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(customer.updated_at).toBe(customer.created_at);
    expect(response.headers.get("Location")).toBe(`/v1/customers/${customer.id}`);
    expect(response.headers.get("ETag")).toMatch(/^"[^"]+"$/);
  });

  it("accepts a caller-chosen id and generates time-sortable ids otherwise", async () => {
    const { key } = await newOrganization();
    const chosen = await createCustomer(key, { id: "acme:user-42@eu.1" });
    expect(chosen.id).toBe("acme:user-42@eu.1");
    expect((await call("GET", "/v1/customers/acme:user-42@eu.1", { key })).body.id).toBe(chosen.id);
    const first = await createCustomer(key);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = await createCustomer(key);
    expect(first.id < second.id).toBe(true);
  });

  it("defaults every field when the body is empty", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, {});
    expect(customer).toMatchObject({
      alternative_id: null,
      email: null,
      mail_marketing: false,
      tele_marketing: false,
      metadata: {},
      coupon_id: null,
    });
  });
});

describe("get", () => {
  it("answers 404 customer_not_found for an unknown id", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers/nobody", { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("customer_not_found");
  });

  it.each(["user/with/slashes", "with spaces and + plus", "100% sure", "ünïcødé-用户-🦄", "a%2Fb", "?query#hash&x=y"])(
    "round-trips alternative ID %j through the path",
    async (alternativeId) => {
      const { key } = await newOrganization();
      const created = await createCustomer(key, { alternative_id: alternativeId });
      const response = await call("GET", altPath(alternativeId), { key });
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(created.id);
      expect(response.body.alternative_id).toBe(alternativeId);
    },
  );

  it("serves the same ETag by id and by alternative ID", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "alt-1" });
    const byId = await call("GET", `/v1/customers/${created.id}`, { key });
    const byAlt = await call("GET", altPath("alt-1"), { key });
    expect(byId.headers.get("ETag")).toBe(byAlt.headers.get("ETag"));
    expect(byAlt.body).toEqual(byId.body);
  });
});

describe("alternative-ID cache", () => {
  it("never answers from a stale KV entry", async () => {
    const { key, orgId } = await newOrganization();
    const first = await createCustomer(key, { alternative_id: "moving" });
    const second = await createCustomer(key);
    // Point the KV entry at the wrong customer, as a lost update could leave it.
    await env.KV.put(await kvKeys.alternativeId(orgId, "moving"), second.id);
    const response = await call("GET", altPath("moving"), { key });
    expect(response.body.id).toBe(first.id);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "moving"))).toBe(first.id);
  });

  it("finds the customer from D1 when KV has no entry, and refills KV", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "cold" });
    const kvKey = await kvKeys.alternativeId(orgId, "cold");
    await env.KV.delete(kvKey);
    expect((await call("GET", altPath("cold"), { key })).body.id).toBe(created.id);
    expect(await env.KV.get(kvKey)).toBe(created.id);
  });

  it("answers 404 when KV points at a customer that no longer holds the alternative ID", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "old" });
    await env.KV.put(await kvKeys.alternativeId(orgId, "gone"), created.id);
    const response = await call("GET", altPath("gone"), { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("customer_not_found");
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "gone"))).toBeNull();
  });

  it("writes no KV entry on create; the first lookup fills it", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "fresh" });
    const kvKey = await kvKeys.alternativeId(orgId, "fresh");
    expect(await env.KV.get(kvKey)).toBeNull();
    expect((await call("GET", altPath("fresh"), { key })).body.id).toBe(created.id);
    expect(await env.KV.get(kvKey)).toBe(created.id);
  });

  it("drops the released alternative ID's KV entry when it changes, even if the lookup's fill lands later", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "before" });
    // The PATCH resolves "before" (a KV miss: it starts a fill), then releases it. Hold the
    // fill's put until the release's delete has run, the worst order KV could apply them in.
    const kv = putsHeldUntilADelete(env.KV);
    const patched = await call("PATCH", altPath("before"), {
      key,
      body: { alternative_id: "after" },
      env: { ...env, KV: kv },
    });
    expect(patched.status).toBe(200);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "before"))).toBeNull();
    expect((await call("GET", altPath("before"), { key })).status).toBe(404);
    expect((await call("GET", altPath("after"), { key })).body.id).toBe(created.id);
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
    const lookup = call("GET", altPath("racing"), { key, env: { ...env, DB: heldDb as D1Database } });
    expect((await call("DELETE", `/v1/customers/${created.id}`, { key })).status).toBe(200);
    archived();
    expect((await lookup).status).toBe(200); // it read the customer while it was live
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "racing"))).toBeNull();
    // Nor did it leave a memo entry: the next lookup goes straight to D1's index (one query).
    const d1 = countingD1(env.DB);
    expect((await call("GET", altPath("racing"), { key, env: { ...env, DB: d1.db } })).status).toBe(404);
    expect(d1.roundTrips()).toBe(1);
  });

  it("answers repeated lookups from this isolate's memo, without reading KV", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "hot" });
    expect((await call("GET", altPath("hot"), { key })).body.id).toBe(created.id);
    const kv = countingKvGets(env.KV);
    const again = await call("GET", altPath("hot"), { key, env: { ...env, KV: kv.kv } });
    expect(again.body.id).toBe(created.id);
    expect(kv.gets()).toBe(0);
  });

  it("never answers from a memo entry made stale by a change it did not see", async () => {
    const { key, orgId } = await newOrganization();
    const first = await createCustomer(key, { alternative_id: "shared" });
    expect((await call("GET", altPath("shared"), { key })).body.id).toBe(first.id);
    // Another isolate moves the alternative ID: this isolate's memo and KV still say `first`.
    await env.DB.prepare("UPDATE customers SET alternative_id = 'elsewhere' WHERE org_id = ?1 AND id = ?2")
      .bind(orgId, first.id)
      .run();
    const second = await createCustomer(key, { alternative_id: "shared" });
    const response = await call("GET", altPath("shared"), { key });
    expect(response.body.id).toBe(second.id);
    expect(await env.KV.get(await kvKeys.alternativeId(orgId, "shared"))).toBe(second.id);
  });
});

describe("PATCH", () => {
  it("changes only the fields sent, clears fields sent as null and merges metadata", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const response = await call("PATCH", `/v1/customers/${created.id}`, {
      key,
      body: { name: "Jenny D.", phone: null, mail_marketing: null, metadata: { seats: 5, beta: null, tier: "gold" } },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...created,
      name: "Jenny D.",
      phone: null,
      mail_marketing: false,
      metadata: { plan_source: "signup", seats: 5, tier: "gold" },
      updated_at: response.body.updated_at,
    });
    expect(response.body.updated_at >= created.updated_at).toBe(true);
  });

  it('removes all metadata with "metadata": null', async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { metadata: { a: 1, b: "x" } });
    const response = await call("PATCH", `/v1/customers/${created.id}`, { key, body: { metadata: null } });
    expect(response.body.metadata).toEqual({});
  });

  it("keeps the ETag when nothing changes and changes it when something does", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "Same" });
    const etag = (await call("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag");
    const unchanged = await call("PATCH", `/v1/customers/${created.id}`, { key, body: { name: "Same" } });
    expect(unchanged.headers.get("ETag")).toBe(etag);
    expect(unchanged.body.updated_at).toBe(created.updated_at);
    const changed = await call("PATCH", `/v1/customers/${created.id}`, { key, body: { name: "Other" } });
    expect(changed.headers.get("ETag")).not.toBe(etag);
  });
});

describe("PUT", () => {
  it("resets every field not sent but keeps the alternative ID unless sent", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const response = await call("PUT", `/v1/customers/${created.id}`, {
      key,
      body: { name: "Only Name", metadata: { fresh: true, gone: null } },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: created.id,
      alternative_id: "user_2abc",
      email: null,
      name: "Only Name",
      first_name: null,
      username: null,
      phone: null,
      language: null,
      timezone: null,
      mail_marketing: false,
      tele_marketing: false,
      coupon_id: null,
      metadata: { fresh: true },
    });
    const moved = await call("PUT", `/v1/customers/${created.id}`, { key, body: { alternative_id: null } });
    expect(moved.body.alternative_id).toBeNull();
  });
});

describe("If-Match", () => {
  it.each(["PATCH", "PUT", "DELETE"])("%s answers 412 on a stale ETag and changes nothing", async (method) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "v1" });
    const stale = (await call("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag")!;
    await call("PATCH", `/v1/customers/${created.id}`, { key, body: { name: "v2" } });
    const response = await call(method, `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": stale },
      body: method === "DELETE" ? undefined : { name: "v3" },
    });
    expect(response.status).toBe(412);
    expect(response.body.code).toBe("precondition_failed");
    const current = await call("GET", `/v1/customers/${created.id}`, { key });
    expect(current.status).toBe(200);
    expect(current.body.name).toBe("v2");
  });

  it("accepts the current ETag, a list containing it, and *", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    const etag = (await call("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag")!;
    const first = await call("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": `"nope", ${etag}` },
      body: { name: "a" },
    });
    expect(first.status).toBe(200);
    const second = await call("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": "*" },
      body: { name: "b" },
    });
    expect(second.status).toBe(200);
    const weak = await call("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": `W/${second.headers.get("ETag")}` },
      body: { name: "c" },
    });
    expect(weak.status).toBe(412);
  });
});

describe("archive", () => {
  it("erases PII from D1 and KV in one step and answers 410 afterwards", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const archived = await call("DELETE", `/v1/customers/${created.id}`, { key });
    expect(archived.status).toBe(200);
    expect(archived.body).toEqual({
      object: "customer",
      id: created.id,
      archived: true,
      archived_at: expect.stringMatching(/Z$/),
    });

    const gone = await call("GET", `/v1/customers/${created.id}`, { key });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ code: "customer_archived", archived_at: archived.body.archived_at });
    expect((await call("GET", altPath("user_2abc"), { key })).status).toBe(404);

    const { results } = await env.DB.prepare("SELECT * FROM customers").all();
    const stored = JSON.stringify(results);
    for (const value of PII_VALUES) expect(stored).not.toContain(value);

    const { keys } = await env.KV.list();
    expect(keys.map((k) => k.name)).not.toContain(await kvKeys.alternativeId(orgId, "user_2abc"));
    for (const { name } of keys) {
      const value = (await env.KV.get(name)) ?? "";
      for (const pii of PII_VALUES) {
        expect(name).not.toContain(pii);
        expect(value).not.toContain(pii);
      }
    }
  });

  it("deletes addresses and payment methods and cancels subscriptions in the same step", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const base = `/v1/customers/${created.id}`;
    expect(
      (await call("POST", `${base}/addresses`, { key, body: { line1: "42 Secret Lane", country: "FR" } })).status,
    ).toBe(201);
    const card = { gateway: "stripe", gateway_reference: "pm_secret_ref", last4: "4242" };
    expect((await call("POST", `${base}/payment_methods`, { key, body: card })).status).toBe(201);
    expect((await call("POST", `${base}/subscriptions`, { key, body: { plan_id: "pro" } })).status).toBe(201);
    expect((await call("GET", base, { key })).body.has_payment_method).toBe(true);

    expect((await call("DELETE", base, { key })).status).toBe(200);

    const addresses = await env.DB.prepare("SELECT count(*) AS n FROM addresses").first<{ n: number }>();
    const methods = await env.DB.prepare("SELECT count(*) AS n FROM payment_methods").first<{ n: number }>();
    expect([addresses?.n, methods?.n]).toEqual([0, 0]);
    const subscription = await env.DB.prepare("SELECT status, cancel_reason FROM subscriptions").first();
    expect(subscription).toEqual({ status: "canceled", cancel_reason: "customer_archived" });
    const everything = JSON.stringify(
      await Promise.all(
        ["customers", "addresses", "payment_methods", "subscriptions"].map(
          async (table) => (await env.DB.prepare(`SELECT * FROM ${table}`).all()).results,
        ),
      ),
    );
    for (const value of [...PII_VALUES, "42 Secret Lane", "pm_secret_ref"]) expect(everything).not.toContain(value);

    // Unarchive brings none of it back.
    const restored = await call("POST", `${base}/unarchive`, { key });
    expect(restored.body.has_payment_method).toBe(false);
    expect((await call("GET", `${base}/addresses`, { key })).body.data).toEqual([]);
  });

  it("is idempotent by id and 404 by alternative ID the second time", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "twice" });
    const first = await call("DELETE", altPath("twice"), { key });
    expect(first.status).toBe(200);
    const again = await call("DELETE", `/v1/customers/${created.id}`, { key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const byAlt = await call("DELETE", altPath("twice"), { key });
    expect(byAlt.status).toBe(404);
  });

  it.each(["PATCH", "PUT"])("%s on an archived customer answers 410", async (method) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    await call("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call(method, `/v1/customers/${created.id}`, { key, body: { name: "x" } });
    expect(response.status).toBe(410);
    expect(response.body.code).toBe("customer_archived");
  });

  it("frees the alternative ID, email and username but never the id", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { id: "fixed", alternative_id: "a", email: "e@x.io", username: "u" });
    await call("DELETE", "/v1/customers/fixed", { key });
    const reuse = await call("POST", "/v1/customers", {
      key,
      body: { alternative_id: "a", email: "E@X.IO", username: "U" },
    });
    expect(reuse.status).toBe(201);
    const sameId = await call("POST", "/v1/customers", { key, body: { id: created.id } });
    expect(sameId.status).toBe(409);
    expect(sameId.body.code).toBe("customer_id_archived");
  });
});

describe("unarchive", () => {
  it("brings the customer back with its PII still empty and a new ETag", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { ...FULL_PROFILE });
    await call("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call("POST", `/v1/customers/${created.id}/unarchive`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: created.id,
      alternative_id: null,
      email: null,
      name: null,
      username: null,
      phone: null,
      company: null,
      language: "en",
      metadata: FULL_PROFILE.metadata,
    });
    expect((await call("GET", `/v1/customers/${created.id}`, { key })).status).toBe(200);
  });

  it("changes nothing on a live customer and 404s an unknown one", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "live" });
    const response = await call("POST", `/v1/customers/${created.id}/unarchive`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
    expect((await call("POST", "/v1/customers/unknown/unarchive", { key })).status).toBe(404);
  });

  it("rejects a body with unknown fields", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    const response = await call("POST", `/v1/customers/${created.id}/unarchive`, { key, body: { force: true } });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "/force", detail: "is not a known field" }]);
  });
});

describe("DELETE metadata key", () => {
  it("removes one key, by id and by alternative ID; an absent key is a no-op", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "m", metadata: { a: 1, b: 2, c: 3 } });
    const byId = await call("DELETE", `/v1/customers/${created.id}/metadata/a`, { key });
    expect(byId.status).toBe(200);
    expect(byId.body.metadata).toEqual({ b: 2, c: 3 });
    const byAlt = await call("DELETE", `${altPath("m")}/metadata/b`, { key });
    expect(byAlt.body.metadata).toEqual({ c: 3 });
    const absent = await call("DELETE", `/v1/customers/${created.id}/metadata/zzz`, { key });
    expect(absent.status).toBe(200);
    expect(absent.headers.get("ETag")).toBe(byAlt.headers.get("ETag"));
  });

  it("answers 410 on an archived customer", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { metadata: { a: 1 } });
    await call("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call("DELETE", `/v1/customers/${created.id}/metadata/a`, { key });
    expect(response.status).toBe(410);
  });
});
