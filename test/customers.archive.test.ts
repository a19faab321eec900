import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AddressObject } from "../src/addresses/addresses.schemas";
import { kvKeys } from "../src/lib/kv-keys";
import { FULL_PROFILE, PII_VALUES } from "./fixtures";
import {
  type ArchivedCustomer,
  altPath,
  type CustomerObject,
  call,
  createCustomer,
  type ListBody,
  newOrganization,
  type Problem,
} from "./helpers";

/** Customers (spec §3): archive, unarchive and deleting one metadata key. */

describe("archive", () => {
  it("erases PII from D1 and KV in one step and answers 410 afterwards", async () => {
    const { key, orgId } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const archived = await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key });
    expect(archived.status).toBe(200);
    expect(archived.body).toEqual({
      object: "customer",
      id: created.id,
      archived: true,
      archived_at: expect.stringMatching(/Z$/),
    });

    const gone = await call<Problem>("GET", `/v1/customers/${created.id}`, { key });
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ code: "customer_archived", archived_at: archived.body.archived_at });
    expect((await call<CustomerObject>("GET", altPath("user_2abc"), { key })).status).toBe(404);

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
      (
        await call<CustomerObject>("POST", `${base}/addresses`, {
          key,
          body: { line1: "42 Secret Lane", country: "FR" },
        })
      ).status,
    ).toBe(201);
    const card = { gateway: "stripe", gateway_reference: "pm_secret_ref", last4: "4242" };
    expect((await call<CustomerObject>("POST", `${base}/payment_methods`, { key, body: card })).status).toBe(201);
    expect(
      (await call<CustomerObject>("POST", `${base}/subscriptions`, { key, body: { plan_id: "pro" } })).status,
    ).toBe(201);
    expect((await call<CustomerObject>("GET", base, { key })).body.has_payment_method).toBe(true);

    expect((await call<ArchivedCustomer>("DELETE", base, { key })).status).toBe(200);

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
    const restored = await call<CustomerObject>("POST", `${base}/unarchive`, { key });
    expect(restored.body.has_payment_method).toBe(false);
    expect((await call<ListBody<AddressObject>>("GET", `${base}/addresses`, { key })).body.data).toEqual([]);
  });

  it("is idempotent by id and 404 by alternative ID the second time", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "twice" });
    const first = await call<ArchivedCustomer>("DELETE", altPath("twice"), { key });
    expect(first.status).toBe(200);
    const again = await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const byAlt = await call<Problem>("DELETE", altPath("twice"), { key });
    expect(byAlt.status).toBe(404);
  });

  it.each(["PATCH", "PUT"])("%s on an archived customer answers 410", async (method) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call<Problem>(method, `/v1/customers/${created.id}`, { key, body: { name: "x" } });
    expect(response.status).toBe(410);
    expect(response.body.code).toBe("customer_archived");
  });

  it("frees the alternative ID, email and username but never the id", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { id: "fixed", alternative_id: "a", email: "e@x.io", username: "u" });
    await call<ArchivedCustomer>("DELETE", "/v1/customers/fixed", { key });
    const reuse = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { alternative_id: "a", email: "E@X.IO", username: "U" },
    });
    expect(reuse.status).toBe(201);
    const sameId = await call<Problem>("POST", "/v1/customers", { key, body: { id: created.id } });
    expect(sameId.status).toBe(409);
    expect(sameId.body.code).toBe("customer_id_archived");
  });
});

describe("unarchive", () => {
  it("brings the customer back with its PII still empty and a new ETag", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { ...FULL_PROFILE });
    await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call<CustomerObject>("POST", `/v1/customers/${created.id}/unarchive`, { key });
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
    expect((await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key })).status).toBe(200);
  });

  it("changes nothing on a live customer and 404s an unknown one", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "live" });
    const response = await call<CustomerObject>("POST", `/v1/customers/${created.id}/unarchive`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
    expect((await call<CustomerObject>("POST", "/v1/customers/unknown/unarchive", { key })).status).toBe(404);
  });

  it("rejects a body with unknown fields", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    const response = await call<Problem>("POST", `/v1/customers/${created.id}/unarchive`, {
      key,
      body: { force: true },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "/force", detail: "is not a known field" }]);
  });
});

describe("DELETE metadata key", () => {
  it("removes one key, by id and by alternative ID; an absent key is a no-op", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "m", metadata: { a: 1, b: 2, c: 3 } });
    const byId = await call<CustomerObject>("DELETE", `/v1/customers/${created.id}/metadata/a`, { key });
    expect(byId.status).toBe(200);
    expect(byId.body.metadata).toEqual({ b: 2, c: 3 });
    const byAlt = await call<CustomerObject>("DELETE", `${altPath("m")}/metadata/b`, { key });
    expect(byAlt.body.metadata).toEqual({ c: 3 });
    const absent = await call<CustomerObject>("DELETE", `/v1/customers/${created.id}/metadata/zzz`, { key });
    expect(absent.status).toBe(200);
    expect(absent.headers.get("ETag")).toBe(byAlt.headers.get("ETag"));
  });

  it("answers 410 on an archived customer", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { metadata: { a: 1 } });
    await call<ArchivedCustomer>("DELETE", `/v1/customers/${created.id}`, { key });
    const response = await call<Problem>("DELETE", `/v1/customers/${created.id}/metadata/a`, { key });
    expect(response.status).toBe(410);
  });
});
