import { describe, expect, it } from "vitest";
import type { AddressObject } from "../src/addresses/addresses.schemas";
import { addAddress, customerSetup, defaultsOf, HOME, pause, ULID, UNKNOWN_ID } from "./addresses-helpers";
import { call, createCustomer, type Problem } from "./helpers";
import { ISO_MS, listOf } from "./sub-resources-helpers";

/** A customer's addresses: create, list, defaults, update and delete. */

describe("POST /v1/customers/{id}/addresses", () => {
  it("creates an address with every field", async () => {
    const { key, customerId, base } = await customerSetup();
    const body = {
      type: "shipping",
      line1: "1 Main Street",
      line2: "Suite 200",
      city: "Springfield",
      state: "IL",
      postal_code: "62701",
      country: "US",
      is_default: true,
    };
    const response = await call<AddressObject>("POST", base, { key, body });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body)).toEqual([
      "object",
      "id",
      "customer_id",
      "type",
      "line1",
      "line2",
      "city",
      "state",
      "postal_code",
      "country",
      "is_default",
      "created_at",
      "updated_at",
    ]);
    expect(response.body).toMatchObject({ object: "address", customer_id: customerId, ...body });
    expect(response.body.id).toMatch(/^adr_/);
    expect(response.body.id.slice(4)).toMatch(ULID);
    expect(response.body.created_at).toMatch(ISO_MS);
    expect(response.body.updated_at).toBe(response.body.created_at);
  });

  it("defaults type to billing, is_default to false and the optional lines to null", async () => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base, HOME);
    expect(address).toMatchObject({
      type: "billing",
      is_default: false,
      line2: null,
      city: null,
      state: null,
      postal_code: null,
    });
  });

  it("requires line1 and country, naming both", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, { key, body: { city: "Paris" } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors?.map((error: { pointer: string }) => error.pointer).sort()).toEqual([
      "/country",
      "/line1",
    ]);
  });

  it.each([
    ["an unknown field", { ...HOME, street: "x" }, "/street"],
    ["a read-only field", { ...HOME, created_at: "2026-01-01T00:00:00.000Z" }, "/created_at"],
    ["an unknown type", { ...HOME, type: "home" }, "/type"],
    ["a lowercase country", { ...HOME, country: "us" }, "/country"],
    ["an unassigned country", { ...HOME, country: "XX" }, "/country"],
    ["a user-assigned code the runtime still names", { ...HOME, country: "ZZ" }, "/country"],
    ["an exceptionally reserved code", { ...HOME, country: "EU" }, "/country"],
    ["an empty line2", { ...HOME, line2: "" }, "/line2"],
    ["a 201-character line1", { ...HOME, line1: "a".repeat(201) }, "/line1"],
    ["a 21-character postal code", { ...HOME, postal_code: "1".repeat(21) }, "/postal_code"],
    ["a control character", { ...HOME, city: "Spring\nfield" }, "/city"],
    ["a non-boolean is_default", { ...HOME, is_default: "yes" }, "/is_default"],
  ])("400 for %s", async (_case, body, pointer) => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(new Set(response.body.errors?.map((error: { pointer: string }) => error.pointer))).toEqual(
      new Set([pointer]),
    );
    expect(await listOf<AddressObject>(key, base)).toEqual([]);
  });

  it("accepts the longest allowed lines", async () => {
    const { key, base } = await customerSetup();
    const response = await call<AddressObject>("POST", base, {
      key,
      body: { ...HOME, line1: "é".repeat(200), city: "c".repeat(100), postal_code: "1".repeat(20) },
    });
    expect(response.status).toBe(201);
  });

  it("415 without a JSON content type, 400 invalid_json for broken JSON", async () => {
    const { key, base } = await customerSetup();
    const text = await call<Problem>("POST", base, {
      key,
      rawBody: JSON.stringify(HOME),
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe("unsupported_media_type");
    const broken = await call<Problem>("POST", base, {
      key,
      rawBody: "{",
      headers: { "Content-Type": "application/json" },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("invalid_json");
  });
});

describe("GET /v1/customers/{id}/addresses", () => {
  it("lists every address in insertion order, not paginated", async () => {
    const { key, base } = await customerSetup();
    const empty = await call<AddressObject>("GET", base, { key });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
    const created = [];
    for (const city of ["A", "B", "C"]) created.push(await addAddress(key, base, { ...HOME, city }));
    const listed = await call<AddressObject>("GET", base, { key });
    expect(listed.body).toEqual({ object: "list", data: created, has_more: false, next_cursor: null });
  });

  it("lists only this customer's addresses", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    await addAddress(key, `/v1/customers/${other.id}/addresses`);
    const mine = await addAddress(key, base);
    expect((await listOf<AddressObject>(key, base)).map((address) => address.id)).toEqual([mine.id]);
  });

  it("400 for an unknown query parameter", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("GET", `${base}?type=billing`, { key });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "#/query/type", detail: "is not a known field" }]);
  });
});

describe("default addresses", () => {
  it("a new default clears the previous default of its type only", async () => {
    const { key, base } = await customerSetup();
    const firstBilling = await addAddress(key, base, { ...HOME, is_default: true });
    const shipping = await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    await pause();
    const secondBilling = await addAddress(key, base, { ...HOME, is_default: true });
    const addresses = await listOf<AddressObject>(key, base);
    expect(defaultsOf(addresses, "billing")).toEqual([secondBilling.id]);
    expect(defaultsOf(addresses, "shipping")).toEqual([shipping.id]);
    const cleared = addresses.find((address) => address.id === firstBilling.id);
    expect(cleared?.is_default).toBe(false);
    // Its object changed, so its updated_at did.
    expect((cleared?.updated_at ?? "") > firstBilling.updated_at).toBe(true);
  });

  it("a non-default address leaves the default alone", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await addAddress(key, base, { ...HOME, is_default: false });
    expect(defaultsOf(await listOf<AddressObject>(key, base), "billing")).toEqual([billing.id]);
  });

  it("PATCH is_default: true moves the default", async () => {
    const { key, base } = await customerSetup();
    const first = await addAddress(key, base, { ...HOME, is_default: true });
    const second = await addAddress(key, base);
    const response = await call<AddressObject>("PATCH", `${base}/${second.id}`, { key, body: { is_default: true } });
    expect(response.status).toBe(200);
    expect(response.body.is_default).toBe(true);
    const addresses = await listOf<AddressObject>(key, base);
    expect(defaultsOf(addresses, "billing")).toEqual([second.id]);
    expect(addresses.find((address) => address.id === first.id)?.is_default).toBe(false);
  });

  it("a default that changes type clears the default of its new type", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    const shipping = await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    const response = await call<AddressObject>("PATCH", `${base}/${billing.id}`, { key, body: { type: "shipping" } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ type: "shipping", is_default: true });
    const addresses = await listOf<AddressObject>(key, base);
    expect(defaultsOf(addresses, "shipping")).toEqual([billing.id]);
    expect(defaultsOf(addresses, "billing")).toEqual([]);
    expect(addresses.find((address) => address.id === shipping.id)?.is_default).toBe(false);
  });

  it("a non-default that changes type leaves that type's default alone", async () => {
    const { key, base } = await customerSetup();
    const shipping = await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    const billing = await addAddress(key, base);
    await call<AddressObject>("PATCH", `${base}/${billing.id}`, { key, body: { type: "shipping" } });
    expect(defaultsOf(await listOf<AddressObject>(key, base), "shipping")).toEqual([shipping.id]);
  });

  it("PATCH is_default: false leaves the type without a default", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await call<AddressObject>("PATCH", `${base}/${billing.id}`, { key, body: { is_default: false } });
    expect(defaultsOf(await listOf<AddressObject>(key, base), "billing")).toEqual([]);
  });

  it("concurrent new defaults leave exactly one", async () => {
    const { key, base } = await customerSetup();
    await Promise.all(Array.from({ length: 6 }, () => addAddress(key, base, { ...HOME, is_default: true })));
    const addresses = await listOf<AddressObject>(key, base);
    expect(addresses).toHaveLength(6);
    expect(defaultsOf(addresses, "billing")).toHaveLength(1);
  });

  it("the same customer's other default is not touched by another customer's", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    await addAddress(key, `/v1/customers/${other.id}/addresses`, { ...HOME, is_default: true });
    expect(defaultsOf(await listOf<AddressObject>(key, base), "billing")).toEqual([mine.id]);
  });
});

describe("PATCH /v1/customers/{id}/addresses/{address_id}", () => {
  it("changes only the fields sent; null clears an optional line", async () => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base, { ...HOME, line2: "Apt 1", city: "Springfield" });
    await pause();
    const response = await call<AddressObject>("PATCH", `${base}/${address.id}`, {
      key,
      body: { line2: null, postal_code: "62701", country: "CA" },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...address,
      line2: null,
      postal_code: "62701",
      country: "CA",
      updated_at: expect.stringMatching(ISO_MS),
    });
    expect(response.body.updated_at > address.updated_at).toBe(true);
    expect(await listOf<AddressObject>(key, base)).toEqual([response.body]);
  });

  it("a PATCH that changes nothing writes nothing", async () => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base, { ...HOME, city: "Springfield" });
    await pause();
    for (const body of [{}, { city: "Springfield", line1: HOME.line1 }]) {
      const response = await call<AddressObject>("PATCH", `${base}/${address.id}`, { key, body });
      expect(response.status).toBe(200);
      expect(response.body).toEqual(address);
    }
  });

  it.each([
    ["line1: null", { line1: null }, "/line1"],
    ["country: null", { country: null }, "/country"],
    ["type: null", { type: null }, "/type"],
    ["an unknown field", { zip: "1" }, "/zip"],
    ["a read-only field", { id: "adr_x" }, "/id"],
    ["an invalid country", { country: "XX" }, "/country"],
  ])("400 for %s", async (_case, body, pointer) => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base);
    const response = await call<Problem>("PATCH", `${base}/${address.id}`, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((error: { pointer: string }) => error.pointer)).toEqual([pointer]);
    expect(await listOf<AddressObject>(key, base)).toEqual([address]);
  });

  it("404 not_found for an unknown address, and for another customer's", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await addAddress(key, `/v1/customers/${other.id}/addresses`, { ...HOME, is_default: true });
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    for (const addressId of [UNKNOWN_ID, "adr_nonexistent", theirs.id]) {
      const body = { city: "X", type: "billing", is_default: true };
      const response = await call<Problem>("PATCH", `${base}/${addressId}`, { key, body });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
    // A PATCH that found nothing cleared no default.
    expect(await listOf<AddressObject>(key, base)).toEqual([mine]);
    expect(await listOf<AddressObject>(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);
  });

  it("400 for a malformed address id", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("PATCH", `${base}/adr%20x`, { key, body: {} });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.pointer).toBe("#/path/address_id");
  });
});

describe("DELETE /v1/customers/{id}/addresses/{address_id}", () => {
  it("deleting the default promotes no other address", async () => {
    const { key, base } = await customerSetup();
    await addAddress(key, base);
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await call<AddressObject>("DELETE", `${base}/${billing.id}`, { key });
    expect(defaultsOf(await listOf<AddressObject>(key, base), "billing")).toEqual([]);
  });

  it("404 not_found for another customer's address, which stays", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await addAddress(key, `/v1/customers/${other.id}/addresses`);
    const response = await call<Problem>("DELETE", `${base}/${theirs.id}`, { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
    expect(await listOf<AddressObject>(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);
  });
});

/** Every route, given a customer path and an address id. */
