import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  altPath,
  type CustomerObject,
  call,
  countingD1,
  createCustomer,
  newOrganization,
  type Problem,
  type ProvisioningResult,
} from "./helpers";
import type { ImportResult } from "./response-types";

/** `T`: the body expected at the status the test asserts (a `Problem` for a refusal). */
const provision = <T = ProvisioningResult>(key: string, body: unknown, headers?: Record<string, string>) =>
  call<T>("POST", "/v1/customers/provision", { key, body, headers });

describe("POST /v1/customers/provision", () => {
  it("creates (201) then applies the fields as a PATCH (200)", async () => {
    const { key } = await newOrganization();
    const first = await provision(key, { alternative_id: "user_1", email: "a@example.com", metadata: { a: 1 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: "provisioning_result",
      created: true,
      customer: { alternative_id: "user_1", email: "a@example.com", metadata: { a: 1 } },
      subscription: null,
    });
    expect(first.headers.get("Location")).toBe(`/v1/customers/${first.body.customer.id}`);

    const second = await provision(key, { alternative_id: "user_1", name: "Ann", metadata: { b: 2 } });
    expect(second.status).toBe(200);
    expect(second.body.created).toBe(false);
    expect(second.body.customer).toMatchObject({
      id: first.body.customer.id,
      email: "a@example.com",
      name: "Ann",
      metadata: { a: 1, b: 2 },
    });
    expect(second.headers.get("ETag")).toBe((await call("GET", altPath("user_1"), { key })).headers.get("ETag"));
  });

  it("reads an existing customer sent by id and its own alternative_id once", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "both", alternative_id: "both-alt", name: "Same" });
    await provision(key, { id: "both", alternative_id: "both-alt" }); // the API key is cached now
    const d1 = countingD1(env.DB);
    const response = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { id: "both", alternative_id: "both-alt", name: "Same" },
      env: { ...env, DB: d1.db },
    });
    expect(response.status).toBe(200);
    expect(response.body.created).toBe(false);
    // The read by id settles both identities, and nothing changed, so nothing is written.
    expect(d1.roundTrips()).toBe(1);
  });

  it("identifies by id, creating with the caller's id", async () => {
    const { key } = await newOrganization();
    expect((await provision(key, { id: "acme-1" })).status).toBe(201);
    const again = await provision(key, { id: "acme-1", alternative_id: "alt-1" });
    expect(again.status).toBe(200);
    expect(again.body.customer).toMatchObject({ id: "acme-1", alternative_id: "alt-1" });
  });

  it("requires id or alternative_id", async () => {
    const { key } = await newOrganization();
    const response = await provision<Problem>(key, { email: "a@example.com" });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { pointer: "", detail: "send id or alternative_id (or both) to identify the customer" },
    ]);
  });

  it.each([
    ["id and alternative_id name two customers", { id: "c1", alternative_id: "alt-2" }],
    ["an unknown id with a known alternative_id", { id: "nobody", alternative_id: "alt-2" }],
  ])("409 customer_identity_conflict when %s", async (_case, body) => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "c1", alternative_id: "alt-1" });
    await createCustomer(key, { id: "c2", alternative_id: "alt-2" });
    const response = await provision<Problem>(key, body);
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("customer_identity_conflict");
    expect((await call("GET", "/v1/customers/nobody", { key })).status).toBe(404);
  });

  it("409 customer_id_archived for an archived id", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "gone" });
    await call("DELETE", "/v1/customers/gone", { key });
    const response = await provision<Problem>(key, { id: "gone", name: "x" });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("customer_id_archived");
  });

  it("409 email_taken when the fields collide with another customer", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { email: "taken@example.com" });
    const response = await provision<Problem>(key, { alternative_id: "new", email: "TAKEN@example.com" });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("email_taken");
  });

  it("reuses an active subscription for the same plan and resource, else creates one", async () => {
    const { key } = await newOrganization();
    const body = { alternative_id: "u", subscription: { plan_id: "pro", billing_period: "monthly" } };
    const first = await provision(key, body);
    expect(first.body.subscription).toMatchObject({
      object: "subscription",
      id: expect.stringMatching(/^sub_/),
      customer_id: first.body.customer.id,
      plan_id: "pro",
      resource_id: null,
      billing_period: "monthly",
      status: "active",
      addons: [],
      billable_features: [],
      metadata: {},
    });
    const again = await provision(key, { ...body, subscription: { plan_id: "pro", billing_period: "annually" } });
    expect(again.body.subscription).toEqual(first.body.subscription);
    const otherResource = await provision(key, {
      alternative_id: "u",
      subscription: { plan_id: "pro", resource_id: "site-2" },
    });
    expect(otherResource.body.subscription!.id).not.toBe(first.body.subscription!.id);
    const { results } = await env.DB.prepare("SELECT id FROM subscriptions").all();
    expect(results).toHaveLength(2);
  });

  it("validates the subscription", async () => {
    const { key } = await newOrganization();
    const response = await provision<Problem>(key, {
      alternative_id: "u",
      subscription: { billing_period: "weekly", billing_country_code: "XX", addons: [{ addon_id: "a", quantity: -1 }] },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((e) => e.pointer).sort()).toEqual([
      "/subscription/addons/0/quantity",
      "/subscription/billing_country_code",
      "/subscription/billing_period",
      "/subscription/plan_id",
    ]);
  });

  it("leaves one customer and one subscription after 50 concurrent identical calls", async () => {
    const { key } = await newOrganization();
    const body = { alternative_id: "racer", email: "r@example.com", subscription: { plan_id: "pro" } };
    const responses = await Promise.all(Array.from({ length: 50 }, () => provision(key, body)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(49);
    expect(new Set(responses.map((response) => response.body.customer.id)).size).toBe(1);
    expect(new Set(responses.map((response) => response.body.subscription!.id)).size).toBe(1);
    const customers = await env.DB.prepare("SELECT count(*) AS n FROM customers").first<{ n: number }>();
    const subscriptions = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(customers?.n).toBe(1);
    expect(subscriptions?.n).toBe(1);
  });

  it("archiving cancels the customer's active subscriptions and keeps them", async () => {
    const { key } = await newOrganization();
    const created = await provision(key, { alternative_id: "u", subscription: { plan_id: "pro" } });
    await call("DELETE", `/v1/customers/${created.body.customer.id}`, { key });
    const row = await env.DB.prepare("SELECT status, cancel_reason, canceled_at FROM subscriptions").first();
    expect(row).toEqual({ status: "canceled", cancel_reason: "customer_archived", canceled_at: expect.any(String) });
  });
});

describe("POST /v1/customers/import", () => {
  /** `T`: the body expected at the status the test asserts (a `Problem` for a refusal). */
  const importCall = <T = ImportResult>(key: string, customers: unknown[]) =>
    call<T>("POST", "/v1/customers/import", { key, body: { customers } });

  it("upserts each item in order and reports per item", async () => {
    const { key } = await newOrganization();
    await createCustomer(key, { id: "existing", alternative_id: "e", name: "Old" });
    await createCustomer(key, { email: "taken@example.com" });
    const response = await importCall(key, [
      { alternative_id: "new-1", email: "n1@example.com", metadata: { a: 1 } },
      { id: "existing", name: "New" },
      { alternative_id: "new-1", name: "Second", metadata: { b: 2 } },
      { email: "no-identity@example.com" },
      { alternative_id: "clash", email: "TAKEN@example.com" },
      { id: "existing", alternative_id: "new-1" },
      { alternative_id: "with-sub", subscription: { plan_id: "pro" } },
    ]);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ object: "import_result", created: 2, updated: 2, failed: 3 });
    const statuses = response.body.results.map((r) => [r.status, r.error?.code ?? null]);
    expect(statuses).toEqual([
      ["created", null],
      ["updated", null],
      ["updated", null],
      ["failed", "validation_failed"],
      ["failed", "email_taken"],
      ["failed", "customer_identity_conflict"],
      ["created", null],
    ]);
    expect(response.body.results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const newOne = await call<CustomerObject>("GET", altPath("new-1"), { key });
    expect(newOne.body).toMatchObject({ id: response.body.results[0]!.id, name: "Second", metadata: { a: 1, b: 2 } });
    expect((await call<CustomerObject>("GET", "/v1/customers/existing", { key })).body.name).toBe("New");
    expect((await call("GET", altPath("clash"), { key })).status).toBe(404);
    const subscription = await env.DB.prepare("SELECT customer_id, plan_id FROM subscriptions").first();
    expect(subscription).toEqual({ customer_id: response.body.results[6]!.id, plan_id: "pro" });
  });

  it("imports 1,000 customers with some invalid ones in a bounded number of D1 round trips", async () => {
    const { key } = await newOrganization();
    const items = Array.from({ length: 1000 }, (_, i) =>
      i % 100 === 7
        ? { alternative_id: `user-${i}`, email: "not an email" }
        : { alternative_id: `user-${i}`, email: `u${i}@example.com` },
    );
    const d1 = countingD1(env.DB);
    const response = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: { customers: items },
      env: { ...env, DB: d1.db },
    });
    const { body } = response;
    expect(response.status).toBe(200);
    expect(body.created).toBe(990);
    expect(body.failed).toBe(10);
    // the API-key lookup (a key this isolate has not seen), the import budget's claim (before any
    // item is checked), one batch of reads, one batch of writes
    expect(d1.roundTrips()).toBeLessThanOrEqual(4);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM customers").first<{ n: number }>();
    expect(stored?.n).toBe(990);
  });

  it("reports an item that changes nothing as updated, and leaves the customer's version and ETag alone", async () => {
    const { key } = await newOrganization();
    const existing = await createCustomer(key, { alternative_id: "same", name: "Same", metadata: { a: 1 } });
    const before = await call("GET", altPath("same"), { key });
    const response = await importCall(key, [
      { alternative_id: "same", name: "Same", metadata: { a: 1 } },
      { alternative_id: "other", name: "Other" },
    ]);
    expect(response.body).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect(response.body.results[0]).toMatchObject({ status: "updated", id: existing.id, error: null });
    const after = await call<CustomerObject>("GET", altPath("same"), { key });
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
    expect(after.body.updated_at).toBe(existing.updated_at);
  });

  it("rejects more than 1,000 items as a whole", async () => {
    const { key } = await newOrganization();
    const response = await importCall<Problem>(
      key,
      Array.from({ length: 1001 }, (_, i) => ({ alternative_id: `u${i}` })),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.pointer).toBe("/customers");
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM customers").first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });
});

describe("route words", () => {
  it.each([
    ["GET", "/v1/customers/provision", "POST"],
    ["DELETE", "/v1/customers/import", "POST"],
    ["PATCH", "/v1/customers/provision", "POST"],
  ])("%s %s is 405 with Allow: %s, not a bad id", async (method, path, allow) => {
    const { key } = await newOrganization();
    const response = await call(method, path, { key, body: method === "PATCH" ? {} : undefined });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe(allow);
  });
});
