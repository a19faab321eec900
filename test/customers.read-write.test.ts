import { describe, expect, it } from "vitest";
import { FULL_PROFILE } from "./fixtures";
import { altPath, type CustomerObject, call, createCustomer, newOrganization, type Problem } from "./helpers";

/** Customers (spec §3): create, get, PATCH, PUT and If-Match. */

describe("create", () => {
  it("returns the whole customer object with Location and ETag", async () => {
    const { key } = await newOrganization();
    const response = await call<CustomerObject>("POST", "/v1/customers", { key, body: FULL_PROFILE });
    expect(response.status).toBe(201);
    const customer = response.body;
    expect(Object.keys(customer)).toEqual([
      "object",
      "id",
      ...Object.keys(FULL_PROFILE),
      "has_payment_method",
      "billing",
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
    expect((await call<CustomerObject>("GET", "/v1/customers/acme:user-42@eu.1", { key })).body.id).toBe(chosen.id);
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
    const response = await call<Problem>("GET", "/v1/customers/nobody", { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("customer_not_found");
  });

  it.each(["user/with/slashes", "with spaces and + plus", "100% sure", "ünïcødé-用户-🦄", "a%2Fb", "?query#hash&x=y"])(
    "round-trips alternative ID %j through the path",
    async (alternativeId) => {
      const { key } = await newOrganization();
      const created = await createCustomer(key, { alternative_id: alternativeId });
      const response = await call<CustomerObject>("GET", altPath(alternativeId), { key });
      expect(response.status).toBe(200);
      expect(response.body.id).toBe(created.id);
      expect(response.body.alternative_id).toBe(alternativeId);
    },
  );

  it("serves the same ETag by id and by alternative ID", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: "alt-1" });
    const byId = await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key });
    const byAlt = await call<CustomerObject>("GET", altPath("alt-1"), { key });
    expect(byId.headers.get("ETag")).toBe(byAlt.headers.get("ETag"));
    expect(byAlt.body).toEqual(byId.body);
  });
});

describe("PATCH", () => {
  it("changes only the fields sent, clears fields sent as null and merges metadata", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const response = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
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
    const response = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      body: { metadata: null },
    });
    expect(response.body.metadata).toEqual({});
  });

  it("keeps the ETag when nothing changes and changes it when something does", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "Same" });
    const etag = (await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag");
    const unchanged = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      body: { name: "Same" },
    });
    expect(unchanged.headers.get("ETag")).toBe(etag);
    expect(unchanged.body.updated_at).toBe(created.updated_at);
    const changed = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      body: { name: "Other" },
    });
    expect(changed.headers.get("ETag")).not.toBe(etag);
  });
});

describe("PUT", () => {
  it("resets every field not sent but keeps the alternative ID unless sent", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, FULL_PROFILE);
    const response = await call<CustomerObject>("PUT", `/v1/customers/${created.id}`, {
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
    const moved = await call<CustomerObject>("PUT", `/v1/customers/${created.id}`, {
      key,
      body: { alternative_id: null },
    });
    expect(moved.body.alternative_id).toBeNull();
  });
});

describe("If-Match", () => {
  it.each(["PATCH", "PUT", "DELETE"])("%s answers 412 on a stale ETag and changes nothing", async (method) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "v1" });
    const stale = (await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag")!;
    await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, { key, body: { name: "v2" } });
    const response = await call<Problem>(method, `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": stale },
      body: method === "DELETE" ? undefined : { name: "v3" },
    });
    expect(response.status).toBe(412);
    expect(response.body.code).toBe("precondition_failed");
    const current = await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key });
    expect(current.status).toBe(200);
    expect(current.body.name).toBe("v2");
  });

  it("accepts the current ETag, a list containing it, and *", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    const etag = (await call<CustomerObject>("GET", `/v1/customers/${created.id}`, { key })).headers.get("ETag")!;
    const first = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": `"nope", ${etag}` },
      body: { name: "a" },
    });
    expect(first.status).toBe(200);
    const second = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": "*" },
      body: { name: "b" },
    });
    expect(second.status).toBe(200);
    const weak = await call<CustomerObject>("PATCH", `/v1/customers/${created.id}`, {
      key,
      headers: { "If-Match": `W/${second.headers.get("ETag")}` },
      body: { name: "c" },
    });
    expect(weak.status).toBe(412);
  });
});
