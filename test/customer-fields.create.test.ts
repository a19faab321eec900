import { describe, expect, it } from "vitest";
import { astral, EMOJI, expectAccepted, expectRejected, STRING_FIELDS, targetFor } from "./customer-fields-helpers";
import { altPath, type CustomerObject, call, createCustomer, newOrganization } from "./helpers";

/** POST /v1/customers: the id rules, the defaults, and alternative ids in paths (spec §2, §3). */

describe("POST /v1/customers: id and defaults", () => {
  it.each([
    { why: "1 character", id: "a" },
    { why: "255 characters", id: "i".repeat(255) },
    { why: "the whole charset", id: "AZaz09_-.:@" },
    { why: "an email-like id", id: "user:42@acme.example" },
    { why: "three dots", id: "..." },
    { why: "a dot prefix", id: ".hidden" },
    { why: "a reserved word as a prefix", id: "provisioning" },
    { why: "a reserved word with a suffix", id: "import-1" },
  ])("accepts the id with $why, and GET finds it", async ({ id }) => {
    const { key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: { id } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.id).toBe(id);
    expect(created.headers.get("Location")).toBe(`/v1/customers/${encodeURIComponent(id)}`);
    const fetched = await call<CustomerObject>("GET", `/v1/customers/${encodeURIComponent(id)}`, { key });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it.each([
    { why: "256 characters", id: "i".repeat(256) },
    { why: "an empty string", id: "" },
    { why: "a space", id: "a b" },
    { why: "a slash", id: "a/b" },
    { why: "a hash", id: "a#b" },
    { why: "a question mark", id: "a?b" },
    { why: "a percent sign", id: "a%20b" },
    { why: "a plus", id: "a+b" },
    { why: "non-ASCII", id: "é" },
    { why: "an astral character", id: EMOJI },
    { why: "a trailing newline", id: "abc\n" },
    { why: "the reserved word 'provision'", id: "provision" },
    { why: "the reserved word 'import'", id: "import" },
    { why: "the reserved word 'alternative-id'", id: "alternative-id" },
    { why: "the dot segment '.'", id: "." },
    { why: "the dot segment '..'", id: ".." },
    { why: "null", id: null },
    { why: "a number", id: 42 },
  ])("rejects the id with $why at /id", async ({ id }) => {
    const target = await targetFor("POST");
    await expectRejected(target, { id, name: "Valid" }, ["/id"]);
  });

  it("generates a cus_ id and defaults every field when the body is {}", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, {});
    expect(customer.id).toMatch(/^cus_[0-9A-Za-z]+$/);
    expect(customer).toMatchObject({
      object: "customer",
      mail_marketing: false,
      tele_marketing: false,
      metadata: {},
      has_payment_method: false,
    });
    for (const field of STRING_FIELDS) expect(customer[field]).toBeNull();
  });

  it("stores null booleans as false", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { mail_marketing: null, tele_marketing: null });
    expect(customer.mail_marketing).toBe(false);
    expect(customer.tele_marketing).toBe(false);
  });

  it("leaves metadata keys sent as null out on create", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { metadata: { gone: null, kept: "v" } });
    expect(customer.metadata).toEqual({ kept: "v" });
    expect(Object.keys(customer.metadata)).toEqual(["kept"]);
  });

  it("stores metadata: null on create as empty metadata", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { metadata: null });
    expect(customer.metadata).toEqual({});
  });

  it.each([
    ["a slash", "org/42"],
    ["spaces", "user 42"],
    ["a percent sign", "100%"],
    ["a plus", "a+b"],
    ["non-ASCII", "ユーザー"],
    ["256 astral code points", astral(256)],
  ])("finds an alternative_id with %s by its URL-encoded path", async (_why, alternativeId) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: alternativeId });
    const fetched = await call<CustomerObject>("GET", altPath(alternativeId), { key });
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.id).toBe(created.id);
    expect(fetched.body.alternative_id).toBe(alternativeId);
  });
});
