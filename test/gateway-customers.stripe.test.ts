import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { stripeOrganization } from "./gateway-customers.stripe-helpers";
import { call, createCustomer, customerPath } from "./helpers";

/** Spec section 11 through the Stripe adapter (src/payment-gateway/stripe.ts) over a stubbed fetch. */

afterEach(() => vi.restoreAllMocks());

const snapshot = async (orgId: string) =>
  JSON.stringify(
    await env.DB.batch([
      env.DB.prepare("SELECT * FROM customers WHERE org_id = ?1").bind(orgId),
      env.DB.prepare("SELECT * FROM payment_methods WHERE org_id = ?1").bind(orgId),
      env.DB.prepare("SELECT id FROM events WHERE org_id = ?1").bind(orgId),
      env.DB.prepare("SELECT * FROM gateway_customers WHERE org_id = ?1").bind(orgId),
    ]).then((results) => results.map((result) => result.results)),
  );

describe("billing_information through Stripe", () => {
  it("creates the Stripe customer with a key from Roster's ids and adds the tax id", async () => {
    const { key, orgId, stripe } = await stripeOrganization();
    const created = await call<{ id: string; billing: { customer_reference: string } }>("POST", "/v1/customers", {
      key,
      body: {
        name: "Acme",
        email: "billing@acme.example",
        billing_information: { tax_ids: [{ type: "eu_vat", value: "DE123456789" }] },
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.billing.customer_reference).toBe("cus_New");
    const creation = stripe.requests.find((request) => request.method === "POST" && request.path === "/v1/customers");
    expect(creation?.idempotencyKey).toBe(`roster-customer-${orgId}-${created.body.id}`);
    expect(creation?.form.get("name")).toBe("Acme");
    expect(creation?.form.get("email")).toBe("billing@acme.example");
    expect(creation?.form.get("metadata[roster_customer_id]")).toBe(created.body.id);
    const taxId = stripe.requests.find((request) => request.path === "/v1/customers/cus_New/tax_ids");
    expect(taxId?.form.get("type")).toBe("eu_vat");
    expect(taxId?.form.get("value")).toBe("DE123456789");
    expect(taxId?.idempotencyKey).toMatch(/^roster-tax_id-[0-9a-f]{64}$/);
  });

  it("a tax id Stripe refuses is 422 with Stripe's code, and Roster is unchanged", async () => {
    const { key, orgId } = await stripeOrganization();
    const customer = await createCustomer(key, { gateway_customer_reference: "cus_Existing" });
    const before = await snapshot(orgId);
    const refused = await call<{ detail: string }>("PATCH", customerPath(customer.id), {
      key,
      body: { name: "Changed", billing_information: { tax_ids: [{ type: "eu_vat", value: "de-bad" }] } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain("tax_id_invalid");
    expect(await snapshot(orgId)).toBe(before);
  });
});

describe("a payment method added with the Stripe gateway", () => {
  it("is attached to the Stripe customer; the attached id and Stripe's card details are stored", async () => {
    const { key, stripe } = await stripeOrganization();
    const customer = await createCustomer(key, { gateway_customer_reference: "cus_Existing" });
    const added = await call("POST", `${customerPath(customer.id)}/payment_methods`, {
      key,
      body: { gateway: "stripe", gateway_reference: "pm_card_visa", last4: "4242" },
    });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({
      gateway: "stripe",
      gateway_reference: "pm_1Attached",
      brand: "visa",
      last4: "4242",
      exp_month: 8,
      exp_year: 2031,
    });
    const attach = stripe.requests.find((request) => request.path === "/v1/payment_methods/pm_card_visa/attach");
    expect(attach?.form.get("customer")).toBe("cus_Existing");
    expect(attach?.idempotencyKey).toMatch(/^roster-attach-/);
  });
});
