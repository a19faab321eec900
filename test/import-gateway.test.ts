import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { crashThenRetry } from "./crash-helpers";
import { call, createCustomer, customerPath, expectProblem, getCustomer, newOrganization } from "./helpers";
import { configureTestGateway, count } from "./money-helpers";
import type { ImportResult } from "./response-types";

/**
 * Spec section 11 on import items (src/customers/import-gateway.ts): the gateway options as on
 * provision, asked of the test gateway before the import's one batch; a refused item fails alone.
 */

type CustomerBody = { id: string; billing: { gateway: string; customer_reference: string } | null };

const withGateway = async () => {
  const org = await newOrganization();
  await configureTestGateway(org.key);
  return org;
};

const importCall = (key: string, customers: unknown[], headers: Record<string, string> = {}) =>
  call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers }, headers });

const paymentMethodsOf = async (key: string, id: string) =>
  (await call<{ data: PaymentMethodObject[] }>("GET", `${customerPath(id)}/payment_methods`, { key })).body.data;

const rowsOf = async (sql: string, orgId: string) => (await env.DB.prepare(sql).bind(orgId).all()).results;

describe("import items with gateway options", () => {
  it("links items to their gateway customers, beside items without options", async () => {
    const { key, orgId } = await withGateway();
    const existing = await createCustomer(key, { alternative_id: "g-2", name: "Before" });
    const response = await importCall(key, [
      { alternative_id: "g-1", name: "One", gateway_customer_reference: "gcus_test_with_cards" },
      { alternative_id: "g-2", gateway_customer_reference: "gcus_test_without_cards" },
      { alternative_id: "g-3", name: "Plain" },
    ]);
    expect(response.status, response.text).toBe(200);
    expect(response.body.results.map((result) => result.status)).toEqual(["created", "updated", "created"]);
    const [one, two, plain] = response.body.results.map((result) => result.id ?? "");
    expect(two).toBe(existing.id);
    const read = async (id: string) => (await getCustomer(key, id)).body as CustomerBody;
    expect((await read(one ?? "")).billing).toMatchObject({
      gateway: "test",
      customer_reference: "gcus_test_with_cards",
    });
    expect((await read(two ?? "")).billing).toMatchObject({ customer_reference: "gcus_test_without_cards" });
    expect((await read(plain ?? "")).billing).toBeNull();
    // Naming a gateway customer imports no cards unless asked.
    expect(await paymentMethodsOf(key, one ?? "")).toEqual([]);
    // The events carry the link; the profile-unchanged item is still one customer.updated.
    const updated = await rowsOf("SELECT data FROM events WHERE org_id = ?1 AND type = 'customer.updated'", orgId);
    expect(updated).toHaveLength(1);
    expect(JSON.parse(String(updated[0]?.data))).toMatchObject({
      object: { id: existing.id, billing: { customer_reference: "gcus_test_without_cards" } },
      previous_attributes: { billing: null },
    });
    const created = await rowsOf("SELECT data FROM events WHERE org_id = ?1 AND type = 'customer.created'", orgId);
    const objects = created.map((row) => JSON.parse(String(row.data)).object);
    expect(objects.find((object) => object.id === one)?.billing?.customer_reference).toBe("gcus_test_with_cards");
    expect(await count("gateway_customers", "org_id = ?1", orgId)).toBe(2);
  });

  it("an item the gateway refuses fails alone, with nothing written for it", async () => {
    const { key, orgId } = await withGateway();
    const response = await importCall(key, [
      { alternative_id: "r-1" },
      { alternative_id: "r-2", name: "Refused", gateway_customer_reference: "cus_nope" },
      { alternative_id: "r-3", billing_information: { tax_ids: [{ type: "eu_vat", value: "de-lowercase" }] } },
      { alternative_id: "r-4", gateway_customer_reference: "gcus_test_with_cards" },
    ]);
    expect(response.status, response.text).toBe(200);
    expect(response.body.results.map((result) => [result.status, result.error?.code ?? null])).toEqual([
      ["created", null],
      ["failed", "gateway_rejected"],
      ["failed", "gateway_rejected"],
      ["created", null],
    ]);
    expect(response.body).toMatchObject({ created: 2, updated: 0, failed: 2 });
    const alternativeIds = await rowsOf("SELECT alternative_id FROM customers WHERE org_id = ?1 ORDER BY seq", orgId);
    expect(alternativeIds.map((row) => row.alternative_id)).toEqual(["r-1", "r-4"]);
    expect(await count("events", "org_id = ?1", orgId)).toBe(2);
  });

  it("checks an item's email domain before asking the gateway, as provision does", async () => {
    const { key } = await withGateway();
    const resolver = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () => Response.json({ Status: 0, Answer: [] }));
    const response = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      env: { ...env, EMAIL_DNS_VALIDATION: "true" },
      // The gateway would refuse this reference (gateway_rejected); the unresolvable domain comes first.
      body: {
        customers: [{ alternative_id: "dns-1", email: "a@nomail.example", gateway_customer_reference: "cus_nope" }],
      },
    });
    resolver.mockRestore();
    expect(response.status, response.text).toBe(200);
    expect(response.body.results[0]?.error?.code).toBe("email_domain_unresolvable");
  });

  it("a later item may take what a refused item would have: the import plans again without it", async () => {
    const { key } = await withGateway();
    const response = await importCall(key, [
      { alternative_id: "p-1", email: "p@example.com", gateway_customer_reference: "cus_nope" },
      { alternative_id: "p-2", email: "p@example.com" },
    ]);
    expect(response.status, response.text).toBe(200);
    expect(response.body.results.map((result) => result.status)).toEqual(["failed", "created"]);
  });

  it("import_payment_methods copies the cards in the import's batch, with their events", async () => {
    const { key, orgId } = await withGateway();
    const request = [
      { alternative_id: "c-1", gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
      { alternative_id: "c-2", import_payment_methods: true },
    ];
    const response = await importCall(key, request, { "Idempotency-Key": "import-cards" });
    expect(response.status, response.text).toBe(200);
    expect(response.body.results.map((result) => result.status)).toEqual(["created", "failed"]);
    expect(response.body.results[1]?.error?.code).toBe("validation_failed");
    const id = response.body.results[0]?.id ?? "";
    const methods = await paymentMethodsOf(key, id);
    expect(methods.map((method) => [method.gateway_reference, method.is_default])).toEqual([
      ["pm_card_visa", false],
      ["pm_card_mastercard", true],
    ]);
    expect((await getCustomer(key, id)).body).toMatchObject({ has_payment_method: true });
    expect(await count("events", "org_id = ?1 AND type = 'payment_method.created'", orgId)).toBe(2);
    // The kept answer (in the import's batch) replays; nothing is imported twice.
    const replayed = await importCall(key, request, { "Idempotency-Key": "import-cards" });
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replayed.body).toEqual(response.body);
    // Importing again for the same customer skips the cards already on file.
    const again = await importCall(key, [request[0]]);
    expect(again.body.results[0]?.status).toBe("updated");
    expect(await paymentMethodsOf(key, id)).toHaveLength(2);
    expect(await count("events", "org_id = ?1 AND type = 'customer.updated'", orgId)).toBe(0);
  });

  it("cards imported for a customer already linked: no customer.updated, has_payment_method set", async () => {
    const { key, orgId } = await withGateway();
    const linked = await importCall(key, [
      { alternative_id: "l-1", gateway_customer_reference: "gcus_test_with_cards" },
    ]);
    const id = linked.body.results[0]?.id ?? "";
    const before = (await getCustomer(key, id)).headers.get("ETag");
    const response = await importCall(key, [
      { alternative_id: "l-1", gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
    ]);
    expect(response.body.results[0]?.status, response.text).toBe("updated");
    const read = await getCustomer(key, id);
    expect(read.body).toMatchObject({ has_payment_method: true });
    expect(read.headers.get("ETag")).not.toBe(before);
    expect(await paymentMethodsOf(key, id)).toHaveLength(2);
    expect(await count("events", "org_id = ?1 AND type = 'payment_method.created'", orgId)).toBe(2);
    expect(await count("events", "org_id = ?1 AND type = 'customer.updated'", orgId)).toBe(0);
  });

  it("billing_information is forwarded and never stored", async () => {
    const { key, orgId } = await withGateway();
    const response = await importCall(
      key,
      [
        {
          alternative_id: "b-1",
          name: "Acme",
          billing_information: { tax_ids: [{ type: "eu_vat", value: "DE123456789" }] },
        },
      ],
      { "Idempotency-Key": "import-bi" },
    );
    expect(response.status, response.text).toBe(200);
    const id = response.body.results[0]?.id ?? "";
    const customer = (await getCustomer(key, id)).body as CustomerBody;
    expect(customer.billing?.customer_reference).toMatch(/^gcus_[0-9a-f]{24}$/);
    for (const table of ["customers", "events", "idempotency_keys", "payment_methods", "gateway_customers"]) {
      expect(JSON.stringify(await rowsOf(`SELECT * FROM ${table} WHERE org_id = ?1`, orgId))).not.toContain(
        "DE123456789",
      );
    }
  });

  it("two items with gateway options for one customer: the second fails alone", async () => {
    const { key } = await withGateway();
    const response = await importCall(key, [
      { alternative_id: "d-1", gateway_customer_reference: "gcus_test_with_cards" },
      { alternative_id: "d-1", gateway_customer_reference: "gcus_test_without_cards" },
    ]);
    expect(response.body.results.map((result) => [result.status, result.error?.code ?? null])).toEqual([
      ["created", null],
      ["failed", "validation_failed"],
    ]);
  });

  it("without a gateway, each item with options fails with 409 gateway_not_configured", async () => {
    const { key } = await newOrganization();
    const response = await importCall(key, [
      { alternative_id: "n-1", gateway_customer_reference: "gcus_test_with_cards" },
      { alternative_id: "n-2" },
    ]);
    expect(response.body.results.map((result) => [result.status, result.error?.code ?? null])).toEqual([
      ["failed", "gateway_not_configured"],
      ["created", null],
    ]);
  });

  it("more than 10 items with gateway options: 413 naming the limit, nothing written", async () => {
    const { key, orgId } = await withGateway();
    const items = Array.from({ length: 11 }, (_, index) => ({
      alternative_id: `cap-${index}`,
      gateway_customer_reference: "gcus_test_with_cards",
    }));
    const refused = await importCall(key, [{ alternative_id: "cap-plain" }, ...items]);
    expectProblem(refused, 413, "import_gateway_items_too_many");
    expect(refused.text).toContain("at most 10");
    expect(await count("customers", "org_id = ?1", orgId)).toBe(0);
    const accepted = await importCall(key, items.slice(0, 10));
    expect(accepted.body.created).toBe(10);
  });

  it("a crash after the import's batch: the retry replays the kept answer, nothing imported twice", async () => {
    const { key, orgId } = await withGateway();
    const items = [
      { alternative_id: "k-1", gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
      { alternative_id: "k-2" },
    ];
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: "/v1/customers/import", body: { customers: items } },
      /INSERT OR IGNORE INTO customers/,
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(JSON.parse(retry.text)).toMatchObject({ created: 2, failed: 0 });
    expect(await count("payment_methods", "org_id = ?1", orgId)).toBe(2);
    expect(await count("events", "org_id = ?1 AND type = 'payment_method.created'", orgId)).toBe(2);
  });
});
