import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { stripeOrganization } from "./gateway-customers.stripe-helpers";
import { call, customerPath, getCustomer } from "./helpers";
import type { ImportResult } from "./response-types";

/** Gateway options on import items (spec section 11) through the Stripe adapter over a stubbed fetch. */

afterEach(() => vi.restoreAllMocks());

const importCall = (key: string, customers: unknown[]) =>
  call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers } });

describe("import items through Stripe", () => {
  it("links, imports Stripe's cards and forwards tax ids; a refused item fails alone", async () => {
    const { key, orgId, stripe } = await stripeOrganization();
    const response = await importCall(key, [
      { alternative_id: "s-1", gateway_customer_reference: "cus_Existing", import_payment_methods: true },
      { alternative_id: "s-2", gateway_customer_reference: "cus_Missing" },
      {
        alternative_id: "s-3",
        name: "Acme",
        billing_information: { tax_ids: [{ type: "eu_vat", value: "DE123456789" }] },
      },
      { alternative_id: "s-4", billing_information: { tax_ids: [{ type: "eu_vat", value: "de-bad" }] } },
    ]);
    expect(response.status, response.text).toBe(200);
    expect(response.body.results.map((result) => [result.status, result.error?.code ?? null])).toEqual([
      ["created", null],
      ["failed", "gateway_rejected"],
      ["created", null],
      ["failed", "gateway_rejected"],
    ]);
    expect(response.body.results[3]?.error?.detail).toContain("tax_id_invalid");
    const [linked, , taxed] = response.body.results.map((result) => result.id ?? "");
    const billing = async (id: string) =>
      ((await getCustomer(key, id)).body as { billing: { customer_reference: string } | null }).billing;
    expect((await billing(linked ?? ""))?.customer_reference).toBe("cus_Existing");
    expect((await billing(taxed ?? ""))?.customer_reference).toBe("cus_New");
    const methods = (
      await call<{ data: PaymentMethodObject[] }>("GET", `${customerPath(linked ?? "")}/payment_methods`, { key })
    ).body.data;
    expect(
      methods.map((method) => [method.gateway, method.gateway_reference, method.last4, method.is_default]),
    ).toEqual([
      ["stripe", "pm_1Visa", "4242", false],
      ["stripe", "pm_1Master", "4444", true],
    ]);
    // The Stripe customer for s-3 was created with a key from Roster's ids, then given the tax id.
    const creation = stripe.requests.find((request) => request.method === "POST" && request.path === "/v1/customers");
    expect(creation?.idempotencyKey).toBe(`roster-customer-${orgId}-${taxed}`);
    expect(creation?.form.get("name")).toBe("Acme");
    // Nothing of the refused items, nor the tax id, is held.
    const customers = await env.DB.prepare("SELECT * FROM customers WHERE org_id = ?1").bind(orgId).all();
    expect(customers.results.map((row) => row.alternative_id).sort()).toEqual(["s-1", "s-3"]);
    expect(JSON.stringify(customers.results)).not.toContain("DE123456789");
  });
});
