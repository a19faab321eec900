import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  addressesOfCustomersStatement,
  deleteAddressesOnArchiveStatement,
  insertAddress,
  updateAddress,
} from "../src/addresses/addresses.repository";
import type { AddressObject } from "../src/addresses/addresses.schemas";
import { archiveStatement, findById, writeCustomer } from "../src/customers/customers.repository";
import { addAddress, customerSetup, HOME, UNKNOWN_ID } from "./addresses-helpers";
import { call, createCustomer, newOrganization, type Problem } from "./helpers";
import {
  describeSubResourceRules,
  expectOperations,
  listOf,
  type Route,
  type ServedDocument,
} from "./sub-resources-helpers";

/** A customer's addresses: the rules every sub-resource shares, scoping, races, repository helpers and the OpenAPI document. */

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
  it("404 for a route word in the customer id's place: it names no customer, so no path under it", async () => {
    const { key } = await newOrganization();
    const response = await call<Problem>("GET", "/v1/customers/import/addresses", { key });
    expect(response.status).toBe(404);
    expect(response.body.code).toBe("not_found");
  });
});

describe("writes that race a delete or an archive", () => {
  it("a PATCH of an address deleted since it was read changes nothing, not even another default", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const mine = await addAddress(key, base, { ...HOME, is_default: true });
    const changes = { type: "billing" as const, is_default: true, city: "X" };
    const always = { before: [], guard: { sql: "1 = 1", params: [] } };
    const now = new Date().toISOString();
    expect((await updateAddress(env.DB, orgId, customerId, "adr_gone", changes, now, always)).row).toBeNull();
    expect(await listOf<AddressObject>(key, base)).toEqual([mine]);
  });

  it("an insert for a customer archived since the lookup stores nothing", async () => {
    const { orgId, key, customerId } = await customerSetup();
    await call<AddressObject>("DELETE", `/v1/customers/${customerId}`, { key });
    const address = { ...HOME, type: "billing" as const, line2: null, city: null, state: null, postal_code: null };
    const now = new Date().toISOString();
    const written = await insertAddress(env.DB, orgId, customerId, "adr_x", { ...address, is_default: true }, now, []);
    expect(written.row).toBeNull();
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
    expect(
      (
        await writeCustomer(env.DB, archiveStatement(env.DB, orgId, row!.seq, row!.version, archivedAt, null), {
          after: cascade,
        })
      ).row,
    ).not.toBeNull();
    expect(await count()).toBe(0);
    expect(await listOf<AddressObject>(key, `/v1/customers/${other.id}/addresses`)).toEqual([theirs]);

    // Unarchiving brings none back.
    expect((await call<AddressObject>("POST", `/v1/customers/${customerId}/unarchive`, { key })).status).toBe(200);
    expect(await listOf<AddressObject>(key, base)).toEqual([]);
  });

  it("an archive that loses its version check deletes nothing", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const address = await addAddress(key, base);
    const row = await findById(env.DB, orgId, customerId);
    const archivedAt = new Date().toISOString();
    const cascade = [deleteAddressesOnArchiveStatement(env.DB, orgId, customerId, archivedAt)];
    expect(
      (
        await writeCustomer(env.DB, archiveStatement(env.DB, orgId, row!.seq, row!.version + 1, archivedAt, null), {
          after: cascade,
        })
      ).row,
    ).toBeNull();
    expect(await listOf<AddressObject>(key, base)).toEqual([address]);
  });
});

describe("OpenAPI document", () => {
  it("declares every address route with its statuses", async () => {
    const document = (await call<ServedDocument>("GET", "/v1/openapi.json")).body;
    const expected: [string, string, string[]][] = [
      ["get", "/v1/customers/{id}/addresses", ["200", "400", "401", "404"]],
      ["post", "/v1/customers/{id}/addresses", ["201", "400", "401", "404", "413", "415"]],
      ["patch", "/v1/customers/{id}/addresses/{address_id}", ["200", "400", "401", "404", "413", "415"]],
      ["delete", "/v1/customers/{id}/addresses/{address_id}", ["200", "400", "401", "404"]],
    ];
    expectOperations(document, expected);
    expect(Object.keys(document.paths["/v1/customers/{id}/addresses"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(document.paths["/v1/customers/{id}/addresses/{address_id}"] ?? {}).sort()).toEqual([
      "delete",
      "patch",
    ]);
    expect(document.components.schemas.Address?.required).toEqual(
      expect.arrayContaining(["object", "id", "customer_id", "type", "line1", "country", "is_default"]),
    );
  });
});
