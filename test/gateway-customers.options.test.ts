import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import {
  archive,
  call,
  createCustomer,
  customerPath,
  expectProblem,
  expectValidationFailed,
  getCustomer,
  newOrganization,
  type ProvisioningResult,
} from "./helpers";
import { addCard, configureTestGateway, count } from "./money-helpers";

/**
 * Spec section 11: `gateway_customer_reference`, `import_payment_methods` and
 * `billing_information` on create, PATCH, PUT and provision, against the test gateway.
 */

type CustomerBody = { id: string; billing: { customer_reference: string; sync_status: string } | null };

const withGateway = async () => {
  const org = await newOrganization();
  await configureTestGateway(org.key);
  return org;
};

const paymentMethodsOf = async (key: string, id: string) =>
  (await call<{ data: PaymentMethodObject[] }>("GET", `${customerPath(id)}/payment_methods`, { key })).body.data;

/** Everything Roster holds for an organization, to compare before and after a refusal. */
async function snapshot(orgId: string) {
  const rows = async (sql: string) => (await env.DB.prepare(sql).bind(orgId).all()).results;
  return {
    customers: await rows("SELECT * FROM customers WHERE org_id = ?1 ORDER BY seq"),
    paymentMethods: await rows("SELECT * FROM payment_methods WHERE org_id = ?1 ORDER BY id"),
    events: await rows("SELECT id FROM events WHERE org_id = ?1 ORDER BY id"),
    gatewayCustomers: await rows("SELECT * FROM gateway_customers WHERE org_id = ?1"),
  };
}

describe("gateway_customer_reference", () => {
  it("on create links the customer to the named gateway customer, synced", async () => {
    const { key } = await withGateway();
    const response = await call<CustomerBody>("POST", "/v1/customers", {
      key,
      body: { name: "Jenny", gateway_customer_reference: "gcus_test_with_cards" },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.billing).toEqual({
      gateway: "test",
      customer_reference: "gcus_test_with_cards",
      sync_status: "synced",
      synced_at: expect.any(String),
    });
    expect((await getCustomer(key, response.body.id)).body).toEqual(response.body);
    // Naming it imports nothing unless asked.
    expect(await paymentMethodsOf(key, response.body.id)).toEqual([]);
  });

  it("on PATCH and PUT links (a customer.updated with the old billing), on provision too", async () => {
    const { key, orgId } = await withGateway();
    const customer = await createCustomer(key, { email: "p@example.com" });
    const patched = await call<CustomerBody>("PATCH", customerPath(customer.id), {
      key,
      body: { gateway_customer_reference: "gcus_test_without_cards" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.billing?.customer_reference).toBe("gcus_test_without_cards");
    const event = await env.DB.prepare(
      "SELECT data FROM events WHERE org_id = ?1 AND type = 'customer.updated' ORDER BY seq DESC LIMIT 1",
    )
      .bind(orgId)
      .first<{ data: string }>();
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({
      object: { billing: { customer_reference: "gcus_test_without_cards" } },
      previous_attributes: { billing: null },
    });
    const put = await call<CustomerBody>("PUT", customerPath(customer.id), {
      key,
      body: { email: "p@example.com", gateway_customer_reference: "gcus_test_with_cards" },
    });
    expect(put.status, put.text).toBe(200);
    expect(put.body.billing?.customer_reference).toBe("gcus_test_with_cards");
    const provisioned = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "prov-1", gateway_customer_reference: "gcus_test_with_cards" },
    });
    expect(provisioned.status, provisioned.text).toBe(201);
    expect((provisioned.body.customer as unknown as CustomerBody).billing?.customer_reference).toBe(
      "gcus_test_with_cards",
    );
  });

  it("an unknown gateway customer is 422 gateway_rejected and nothing changes", async () => {
    const { key, orgId } = await withGateway();
    const customer = await createCustomer(key, { name: "A" });
    const before = await snapshot(orgId);
    const created = await call("POST", "/v1/customers", { key, body: { gateway_customer_reference: "cus_nope" } });
    expectProblem(created, 422, "gateway_rejected");
    const patched = await call("PATCH", customerPath(customer.id), {
      key,
      body: { name: "B", gateway_customer_reference: "cus_nope" },
    });
    expectProblem(patched, 422, "gateway_rejected");
    const provisioned = await call("POST", "/v1/customers/provision", {
      key,
      body: { id: customer.id, name: "C", gateway_customer_reference: "cus_nope" },
    });
    expectProblem(provisioned, 422, "gateway_rejected");
    expect(await snapshot(orgId)).toEqual(before);
  });

  it("without a configured gateway: 409 gateway_not_configured, nothing written", async () => {
    const { key, orgId } = await newOrganization();
    const before = await snapshot(orgId);
    const created = await call("POST", "/v1/customers", {
      key,
      body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
    });
    expectProblem(created, 409, "gateway_not_configured");
    expect(await snapshot(orgId)).toEqual(before);
  });

  it("an archived customer is 410 before the gateway is asked; another tenant's id is 404", async () => {
    const { key } = await withGateway();
    const customer = await createCustomer(key);
    const other = await withGateway();
    const foreign = await call("PATCH", customerPath(customer.id), {
      key: other.key,
      body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
    });
    expectProblem(foreign, 404, "customer_not_found");
    expect((await getCustomer(key, customer.id)).body.billing).toBeNull();
    await archive(key, customer.id);
    const gone = await call("PATCH", customerPath(customer.id), {
      key,
      body: { gateway_customer_reference: "gcus_test_with_cards" },
    });
    expectProblem(gone, 410, "customer_archived");
  });
});

describe("import_payment_methods", () => {
  it("imports every card of the gateway customer with the gateway's default, in the same change", async () => {
    const { key, orgId } = await withGateway();
    const request = {
      key,
      body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
      headers: { "Idempotency-Key": "import-1" },
    };
    const response = await call<CustomerBody & { has_payment_method: boolean }>("POST", "/v1/customers", request);
    expect(response.status, response.text).toBe(201);
    expect(response.body.has_payment_method).toBe(true);
    // The kept answer (written in the change's batch) is the answer, and the customer as read.
    const replayed = await call("POST", "/v1/customers", request);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replayed.body).toEqual(response.body);
    const read = await getCustomer(key, response.body.id);
    expect(read.body).toEqual(response.body);
    expect(read.headers.get("ETag")).toBe(response.headers.get("ETag"));
    const methods = await paymentMethodsOf(key, response.body.id);
    const year = new Date().getUTCFullYear() + 3;
    expect(
      methods.map(({ gateway, gateway_reference, brand, last4, exp_month, exp_year, is_default }) => ({
        gateway,
        gateway_reference,
        brand,
        last4,
        exp_month,
        exp_year,
        is_default,
      })),
    ).toEqual([
      {
        gateway: "test",
        gateway_reference: "pm_card_visa",
        brand: "visa",
        last4: "4242",
        exp_month: 12,
        exp_year: year,
        is_default: false,
      },
      {
        gateway: "test",
        gateway_reference: "pm_card_mastercard",
        brand: "mastercard",
        last4: "4444",
        exp_month: 12,
        exp_year: year,
        is_default: true,
      },
    ]);
    expect(await count("events", "org_id = ?1 AND type = 'payment_method.created'", orgId)).toBe(2);
    expect(await count("events", "org_id = ?1 AND type = 'customer.created'", orgId)).toBe(1);
    // Importing again (PATCH) skips the cards already on file.
    const again = await call("PATCH", customerPath(response.body.id), {
      key,
      body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
    });
    expect(again.status, again.text).toBe(200);
    expect(await paymentMethodsOf(key, response.body.id)).toHaveLength(2);
  });

  it("on PATCH clears the previous default when the gateway's default is imported", async () => {
    const { key } = await withGateway();
    const customer = await createCustomer(key);
    const mine = await call<PaymentMethodObject>("POST", `${customerPath(customer.id)}/payment_methods`, {
      key,
      body: { gateway_reference: "tok_elsewhere", is_default: true },
    });
    expect(mine.status).toBe(201);
    const patched = await call<CustomerBody>("PATCH", customerPath(customer.id), {
      key,
      body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
    });
    expect(patched.status, patched.text).toBe(200);
    const methods = await paymentMethodsOf(key, customer.id);
    expect(methods.filter((method) => method.is_default).map((method) => method.gateway_reference)).toEqual([
      "pm_card_mastercard",
    ]);
  });

  it("needs gateway_customer_reference (400), and is 409 without a gateway", async () => {
    const { key } = await withGateway();
    expectValidationFailed(await call("POST", "/v1/customers", { key, body: { import_payment_methods: true } }), [
      "/import_payment_methods",
    ]);
    const bare = await newOrganization();
    const customer = await createCustomer(bare.key);
    expectProblem(
      await call("PATCH", customerPath(customer.id), {
        key: bare.key,
        body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
      }),
      409,
      "gateway_not_configured",
    );
    expect(await paymentMethodsOf(bare.key, customer.id)).toEqual([]);
  });
});

describe("billing_information", () => {
  it("creates the gateway customer when needed and forwards tax ids; nothing of it is stored", async () => {
    const { key, orgId } = await withGateway();
    const response = await call<CustomerBody>("POST", "/v1/customers", {
      key,
      body: { name: "Acme", billing_information: { tax_ids: [{ type: "eu_vat", value: "DE123456789" }] } },
      headers: { "Idempotency-Key": "bi-1" },
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.billing).toMatchObject({ gateway: "test", sync_status: "synced" });
    expect(response.body.billing?.customer_reference).toMatch(/^gcus_[0-9a-f]{24}$/);
    expect(await count("gateway_customers", "org_id = ?1", orgId)).toBe(1);
    // Not kept: neither in the customer, nor in the kept answer, nor in any event.
    const stored = JSON.stringify(await snapshot(orgId));
    expect(stored).not.toContain("DE123456789");
    const kept = await env.DB.prepare("SELECT * FROM idempotency_keys WHERE org_id = ?1").bind(orgId).all();
    expect(JSON.stringify(kept.results)).not.toContain("DE123456789");
    const events = await env.DB.prepare("SELECT data FROM events WHERE org_id = ?1").bind(orgId).all();
    expect(JSON.stringify(events.results)).not.toContain("DE123456789");
  });

  it("a tax id the gateway refuses is 422 gateway_rejected and nothing changed", async () => {
    const { key, orgId } = await withGateway();
    const customer = await createCustomer(key);
    const before = await snapshot(orgId);
    const refused = await call("PATCH", customerPath(customer.id), {
      key,
      body: { name: "New", billing_information: { tax_ids: [{ type: "eu_vat", value: "de-lowercase" }] } },
    });
    expectProblem(refused, 422, "gateway_rejected");
    const created = await call("POST", "/v1/customers", {
      key,
      body: { billing_information: { tax_ids: [{ type: "us_ein", value: "nope" }] } },
    });
    expectProblem(created, 422, "gateway_rejected");
    expect(await snapshot(orgId)).toEqual(before);
  });

  it("default_payment_method_id must be this customer's payment method at the gateway", async () => {
    const { key } = await withGateway();
    const customer = await createCustomer(key);
    const card = await addCard(key, customer.id, "pm_card_visa");
    const ok = await call<CustomerBody>("PATCH", customerPath(customer.id), {
      key,
      body: { billing_information: { default_payment_method_id: card.id } },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.billing).not.toBeNull();
    const unknown = await call("PATCH", customerPath(customer.id), {
      key,
      body: { billing_information: { default_payment_method_id: "pm_unknown" } },
    });
    expectValidationFailed(unknown, ["/billing_information/default_payment_method_id"]);
  });

  it("a card number in it is 400, nothing sent or stored", async () => {
    const { key, orgId } = await withGateway();
    const before = await snapshot(orgId);
    const response = await call("POST", "/v1/customers", {
      key,
      body: { billing_information: { tax_ids: [{ type: "eu_vat", value: "4242424242424242" }] } },
    });
    expectValidationFailed(response, ["/billing_information/tax_ids/0/value"]);
    expect(response.text).not.toContain("4242424242424242");
    expect(await snapshot(orgId)).toEqual(before);
  });

  it("without a gateway: 409 gateway_not_configured", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", {
      key,
      body: { billing_information: { tax_ids: [{ type: "eu_vat", value: "DE123456789" }] } },
    });
    expectProblem(response, 409, "gateway_not_configured");
  });
});
