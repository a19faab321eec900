import { describe, expect, it } from "vitest";
import {
  BASELINE,
  expectAccepted,
  expectRejected,
  metadataOf,
  STRING_FIELDS,
  targetFor,
} from "./customer-fields-helpers";
import { type CustomerObject, call, createCustomer, newOrganization, type Problem } from "./helpers";

/** PATCH and PUT /v1/customers/{id}: the id is immutable, PATCH changes only what is sent, PUT replaces (spec §3). */

describe.each(["PATCH", "PUT"] as const)("%s: the id is immutable", (method) => {
  it.each([
    ["the same id", "same"],
    ["another id", "other"],
    ["null", "null"],
  ])("rejects an id in the body (%s) at /id", async (_why, which) => {
    const target = await targetFor(method);
    const id = which === "same" ? target.id : which === "other" ? "cus_other" : null;
    await expectRejected(target, { id, name: "Valid" }, ["/id"]);
  });

  it("names the id as read-only, not as an unknown field", async () => {
    const target = await targetFor(method);
    const response = await target.send<Problem>({ id: target.id, name: "Valid" });
    expect(response.body.errors).toEqual([{ pointer: "/id", detail: "is read-only and cannot be sent" }]);
  });
});

describe("PATCH: only the fields sent change", () => {
  it("keeps every field that is not sent", async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { name: "New Name" });
    expect(customer).toMatchObject({ ...BASELINE, name: "New Name" });
  });

  it.each(STRING_FIELDS)("clears %s with null and keeps the rest", async (field) => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { [field]: null });
    expect(customer).toMatchObject({ ...BASELINE, [field]: null });
  });

  it.each(["mail_marketing", "tele_marketing"] as const)("resets %s to false with null", async (field) => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { [field]: null });
    expect(customer[field]).toBe(false);
    expect(customer).toMatchObject({ ...BASELINE, [field]: false });
  });

  it("stores the language canonicalized on update", async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { language: "EN-us" });
    expect(customer.language).toBe("en-US");
  });
});

describe("PUT: a full replace", () => {
  it("resets every field not sent, except alternative_id", async () => {
    const target = await targetFor("PUT");
    const customer = await expectAccepted(target, { name: "Only Name" });
    expect(customer).toMatchObject({
      alternative_id: BASELINE.alternative_id,
      email: null,
      name: "Only Name",
      first_name: null,
      last_name: null,
      display_name: null,
      username: null,
      phone: null,
      company: null,
      language: null,
      timezone: null,
      mail_marketing: false,
      tele_marketing: false,
      coupon_id: null,
      metadata: {},
    });
  });

  it.each([
    { why: "replaces the keys", metadata: { x: 1 }, stored: { x: 1 } },
    { why: "leaves keys sent as null out", metadata: { keep: null, y: "z" }, stored: { y: "z" } },
    { why: "empties it with {}", metadata: {}, stored: {} },
    { why: "empties it with null", metadata: null, stored: {} },
    { why: "takes 50 new keys over 2 old ones", metadata: metadataOf(50, "new"), stored: metadataOf(50, "new") },
  ])("metadata: $why", async ({ metadata, stored }) => {
    const target = await targetFor("PUT");
    const customer = await expectAccepted(target, { metadata });
    expect(customer.metadata).toEqual(stored);
    expect(Object.keys(customer.metadata).sort()).toEqual(Object.keys(stored).sort());
  });

  it("replaces 50 keys with 50 different ones (no merge limit applies)", async () => {
    const { key } = await newOrganization();
    const { id } = await createCustomer(key, { metadata: metadataOf(50, "old") });
    const response = await call<CustomerObject>("PUT", `/v1/customers/${id}`, {
      key,
      body: { metadata: metadataOf(50, "new") },
    });
    expect(response.status, response.text).toBe(200);
    expect(response.body.metadata).toEqual(metadataOf(50, "new"));
  });

  it("changes alternative_id when the body sends it, and clears it with null", async () => {
    const target = await targetFor("PUT");
    expect((await expectAccepted(target, { alternative_id: "renamed" })).alternative_id).toBe("renamed");
    expect((await expectAccepted(target, { alternative_id: null })).alternative_id).toBeNull();
  });
});
