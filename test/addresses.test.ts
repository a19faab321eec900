import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  addressesOfCustomersStatement,
  deleteAddressesOnArchiveStatement,
  insertAddress,
  updateAddress,
} from "../src/addresses/addresses.repository";
import { findById, markArchived } from "../src/customers/customers.repository";
import { call, createCustomer, newOrganization } from "./helpers";
import {
  createAt,
  customerWith,
  describeSubResourceRules,
  expectOperations,
  ISO_MS,
  listOf,
  type Route,
} from "./sub-resources-helpers";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const UNKNOWN_ID = "adr_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R";

const HOME = { line1: "1 Main Street", country: "US" };

const customerSetup = () => customerWith("addresses");

const addAddress = (key: string, base: string, body: Record<string, unknown> = HOME) =>
  createAt("address", key, base, body);

const defaultsOf = (addresses: any[], type: string) =>
  addresses.filter((address) => address.type === type && address.is_default).map((address) => address.id);

const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

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
    const response = await call("POST", base, { key, body });
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
    const response = await call("POST", base, { key, body: { city: "Paris" } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual([
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
    const response = await call("POST", base, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(new Set(response.body.errors.map((error: { pointer: string }) => error.pointer))).toEqual(
      new Set([pointer]),
    );
    expect(await listOf(key, base)).toEqual([]);
  });

  it("accepts the longest allowed lines", async () => {
    const { key, base } = await customerSetup();
    const response = await call("POST", base, {
      key,
      body: { ...HOME, line1: "é".repeat(200), city: "c".repeat(100), postal_code: "1".repeat(20) },
    });
    expect(response.status).toBe(201);
  });

  it("415 without a JSON content type, 400 invalid_json for broken JSON", async () => {
    const { key, base } = await customerSetup();
    const text = await call("POST", base, {
      key,
      rawBody: JSON.stringify(HOME),
      headers: { "Content-Type": "text/plain" },
    });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe("unsupported_media_type");
    const broken = await call("POST", base, { key, rawBody: "{", headers: { "Content-Type": "application/json" } });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("invalid_json");
  });
});

describe("GET /v1/customers/{id}/addresses", () => {
  it("lists every address in insertion order, not paginated", async () => {
    const { key, base } = await customerSetup();
    const empty = await call("GET", base, { key });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
    const created = [];
    for (const city of ["A", "B", "C"]) created.push(await addAddress(key, base, { ...HOME, city }));
    const listed = await call("GET", base, { key });
    expect(listed.body).toEqual({ object: "list", data: created, has_more: false, next_cursor: null });
  });

  it("lists only this customer's addresses", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    await addAddress(key, `/v1/customers/${other.id}/addresses`);
    const mine = await addAddress(key, base);
    expect((await listOf(key, base)).map((address) => address.id)).toEqual([mine.id]);
  });

  it("400 for an unknown query parameter", async () => {
    const { key, base } = await customerSetup();
    const response = await call("GET", `${base}?type=billing`, { key });
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
    const addresses = await listOf(key, base);
    expect(defaultsOf(addresses, "billing")).toEqual([secondBilling.id]);
    expect(defaultsOf(addresses, "shipping")).toEqual([shipping.id]);
    const cleared = addresses.find((address) => address.id === firstBilling.id);
    expect(cleared.is_default).toBe(false);
    // Its object changed, so its updated_at did.
    expect(cleared.updated_at > firstBilling.updated_at).toBe(true);
  });

  it("a non-default address leaves the default alone", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await addAddress(key, base, { ...HOME, is_default: false });
    expect(defaultsOf(await listOf(key, base), "billing")).toEqual([billing.id]);
  });

  it("PATCH is_default: true moves the default", async () => {
    const { key, base } = await customerSetup();
    const first = await addAddress(key, base, { ...HOME, is_default: true });
    const second = await addAddress(key, base);
    const response = await call("PATCH", `${base}/${second.id}`, { key, body: { is_default: true } });
    expect(response.status).toBe(200);
    expect(response.body.is_default).toBe(true);
    const addresses = await listOf(key, base);
    expect(defaultsOf(addresses, "billing")).toEqual([second.id]);
    expect(addresses.find((address) => address.id === first.id).is_default).toBe(false);
  });

  it("a default that changes type clears the default of its new type", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    const shipping = await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    const response = await call("PATCH", `${base}/${billing.id}`, { key, body: { type: "shipping" } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ type: "shipping", is_default: true });
    const addresses = await listOf(key, base);
    expect(defaultsOf(addresses, "shipping")).toEqual([billing.id]);
    expect(defaultsOf(addresses, "billing")).toEqual([]);
    expect(addresses.find((address) => address.id === shipping.id).is_default).toBe(false);
  });

  it("a non-default that changes type leaves that type's default alone", async () => {
    const { key, base } = await customerSetup();
    const shipping = await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    const billing = await addAddress(key, base);
    await call("PATCH", `${base}/${billing.id}`, { key, body: { type: "shipping" } });
    expect(defaultsOf(await listOf(key, base), "shipping")).toEqual([shipping.id]);
  });

  it("PATCH is_default: false leaves the type without a default", async () => {
    const { key, base } = await customerSetup();
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await call("PATCH", `${base}/${billing.id}`, { key, body: { is_default: false } });
    expect(defaultsOf(await listOf(key, base), "billing")).toEqual([]);
  });

  it("concurrent new defaults leave exactly one", async () => {
    const { key, base } = await customerSetup();
    await Promise.all(Array.from({ length: 6 }, () => addAddress(key, base, { ...HOME, is_default: true })));
    const addresses = await listOf(key, base);
    expect(addresses).toHaveLength(6);
    expect(defaultsOf(addresses, "billing")).toHaveLength(1);
  });

  it("the same customer's other default is not touched by another customer's", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    await addAddress(key, `/v1/customers/${other.id}/addresses`, { ...HOME, is_default: true });
    expect(defaultsOf(await listOf(key, base), "billing")).toEqual([mine.id]);
  });
});

describe("PATCH /v1/customers/{id}/addresses/{address_id}", () => {
  it("changes only the fields sent; null clears an optional line", async () => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base, { ...HOME, line2: "Apt 1", city: "Springfield" });
    await pause();
    const response = await call("PATCH", `${base}/${address.id}`, {
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
    expect(await listOf(key, base)).toEqual([response.body]);
  });

  it("a PATCH that changes nothing writes nothing", async () => {
    const { key, base } = await customerSetup();
    const address = await addAddress(key, base, { ...HOME, city: "Springfield" });
    await pause();
    for (const body of [{}, { city: "Springfield", line1: HOME.line1 }]) {
      const response = await call("PATCH", `${base}/${address.id}`, { key, body });
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
    const response = await call("PATCH", `${base}/${address.id}`, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer)).toEqual([pointer]);
    expect(await listOf(key, base)).toEqual([address]);
  });

  it("404 not_found for an unknown address, and for another customer's", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await addAddress(key, `/v1/customers/${other.id}/addresses`, { ...HOME, is_default: true });
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    for (const addressId of [UNKNOWN_ID, "adr_nonexistent", theirs.id]) {
      const body = { city: "X", type: "billing", is_default: true };
      const response = await call("PATCH", `${base}/${addressId}`, { key, body });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
    // A PATCH that found nothing cleared no default.
    expect(await listOf(key, base)).toEqual([mine]);
    expect(await listOf(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);
  });

  it("400 for a malformed address id", async () => {
    const { key, base } = await customerSetup();
    const response = await call("PATCH", `${base}/adr%20x`, { key, body: {} });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toBe("#/path/address_id");
  });
});

describe("DELETE /v1/customers/{id}/addresses/{address_id}", () => {
  it("deleting the default promotes no other address", async () => {
    const { key, base } = await customerSetup();
    await addAddress(key, base);
    const billing = await addAddress(key, base, { ...HOME, is_default: true });
    await call("DELETE", `${base}/${billing.id}`, { key });
    expect(defaultsOf(await listOf(key, base), "billing")).toEqual([]);
  });

  it("404 not_found for another customer's address, which stays", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await addAddress(key, `/v1/customers/${other.id}/addresses`);
    const response = await call("DELETE", `${base}/${theirs.id}`, { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
    expect(await listOf(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);
  });
});

/** Every route, given a customer path and an address id. */
const ROUTES = (customerPath: string, addressId: string): Route[] => [
  ["GET", `${customerPath}/addresses`, undefined],
  ["POST", `${customerPath}/addresses`, HOME],
  ["PATCH", `${customerPath}/addresses/${addressId}`, { city: "X" }],
  ["DELETE", `${customerPath}/addresses/${addressId}`, undefined],
];

describeSubResourceRules({
  resource: "addresses",
  name: "address",
  unknownId: UNKNOWN_ID,
  create: (key, base) => addAddress(key, base),
  createDefault: (key, base) => addAddress(key, base, { ...HOME, is_default: true }),
  routes: ROUTES,
  notAllowed: { method: "PUT", on: "collection", body: HOME, allow: "GET, HEAD, POST" },
  deletes: "address",
});

describe("customer scoping", () => {
  it("400 for a reserved customer id", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers/import/addresses", { key });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toBe("#/path/id");
  });
});

describe("writes that race a delete or an archive", () => {
  it("a PATCH of an address deleted since it was read changes nothing, not even another default", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    const changes = { type: "billing" as const, is_default: true, city: "X" };
    expect(await updateAddress(env.DB, orgId, customerId, "adr_gone", changes, new Date().toISOString())).toBeNull();
    expect(await listOf(key, base)).toEqual([mine]);
  });

  it("an insert for a customer archived since the lookup stores nothing", async () => {
    const { orgId, key, customerId } = await customerSetup();
    await call("DELETE", `/v1/customers/${customerId}`, { key });
    const address = { ...HOME, type: "billing" as const, line2: null, city: null, state: null, postal_code: null };
    const now = new Date().toISOString();
    expect(await insertAddress(env.DB, orgId, customerId, { ...address, is_default: true }, now)).toBeNull();
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM addresses").first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });
});

describe("repository helpers for the lead", () => {
  it("addressesOfCustomersStatement loads many customers' addresses in one statement, this org only", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const second = await createCustomer(key);
    const a1 = await addAddress(key, base);
    const b1 = await addAddress(key, `/v1/customers/${second.id}/addresses`);
    const a2 = await addAddress(key, base, { ...HOME, type: "shipping" });
    const other = await newOrganization("Other");
    // The same customer id in another organization: its addresses are never loaded.
    const sameId = await createCustomer(other.key, { id: "shared" });
    await createCustomer(key, { id: "shared" });
    await addAddress(other.key, `/v1/customers/${sameId.id}/addresses`);

    const filler = Array.from({ length: 500 }, (_, index) => `cus_${index}`);
    const { results } = await addressesOfCustomersStatement(env.DB, orgId, [
      ...filler,
      customerId,
      second.id,
      "shared",
    ]).all<{ id: string; customer_id: string }>();
    expect(results.map((row) => [row.customer_id, row.id])).toEqual([
      [customerId, a1.id],
      [second.id, b1.id],
      [customerId, a2.id],
    ]);
    expect((await addressesOfCustomersStatement(env.DB, orgId, []).all()).results).toEqual([]);
  });

  it("deleteAddressesOnArchiveStatement deletes in the archive's batch, and only after that archive", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const other = await createCustomer(key);
    await addAddress(key, base);
    await addAddress(key, base, { ...HOME, type: "shipping", is_default: true });
    const theirs = await addAddress(key, `/v1/customers/${other.id}/addresses`);
    const count = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM addresses WHERE customer_id = ?1").bind(customerId).first<{
          n: number;
        }>()
      )?.n;

    // On a live customer, or with another archive's timestamp, it does nothing.
    await deleteAddressesOnArchiveStatement(env.DB, orgId, customerId, "2026-01-01T00:00:00.000Z").run();
    expect(await count()).toBe(2);

    const row = await findById(env.DB, orgId, customerId);
    const archivedAt = new Date().toISOString();
    const cascade = [deleteAddressesOnArchiveStatement(env.DB, orgId, customerId, archivedAt)];
    expect(await markArchived(env.DB, orgId, row!.seq, row!.version, archivedAt, null, cascade)).not.toBeNull();
    expect(await count()).toBe(0);
    expect(await listOf(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);

    // Unarchiving brings none back.
    expect((await call("POST", `/v1/customers/${customerId}/unarchive`, { key })).status).toBe(200);
    expect(await listOf(key, base)).toEqual([]);
  });

  it("an archive that loses its version check deletes nothing", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const address = await addAddress(key, base);
    const row = await findById(env.DB, orgId, customerId);
    const archivedAt = new Date().toISOString();
    const cascade = [deleteAddressesOnArchiveStatement(env.DB, orgId, customerId, archivedAt)];
    expect(await markArchived(env.DB, orgId, row!.seq, row!.version + 1, archivedAt, null, cascade)).toBeNull();
    expect(await listOf(key, base)).toEqual([address]);
  });
});

describe("OpenAPI document", () => {
  it("declares every address route with its statuses", async () => {
    const document = (await call("GET", "/v1/openapi.json")).body;
    const expected: [string, string, string[]][] = [
      ["get", "/v1/customers/{id}/addresses", ["200", "400", "401", "404"]],
      ["post", "/v1/customers/{id}/addresses", ["201", "400", "401", "404", "413", "415"]],
      ["patch", "/v1/customers/{id}/addresses/{address_id}", ["200", "400", "401", "404", "413", "415"]],
      ["delete", "/v1/customers/{id}/addresses/{address_id}", ["200", "400", "401", "404"]],
    ];
    expectOperations(document, expected);
    expect(Object.keys(document.paths["/v1/customers/{id}/addresses"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(document.paths["/v1/customers/{id}/addresses/{address_id}"]).sort()).toEqual([
      "delete",
      "patch",
    ]);
    expect(document.components.schemas.Address.required).toEqual(
      expect.arrayContaining(["object", "id", "customer_id", "type", "line1", "country", "is_default"]),
    );
  });
});
