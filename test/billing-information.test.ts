import { describe, expect, it } from "vitest";
import {
  applyBillingInformation,
  BillingInformation,
  MAX_TAX_IDS,
  TAX_ID_TYPES,
} from "../src/payment-gateway/billing-information";
import { GatewayRejected, type PaymentGateway } from "../src/payment-gateway/gateway";

/** `billing_information`: its schema, and how it is forwarded through the gateway port (a fake gateway here). */

type Call = [method: string, ...args: unknown[]];

/** A gateway that records addTaxId and setDefaultPaymentMethod; `refuse` names a tax ID value it rejects. */
function fakeGateway(refuse?: string) {
  const calls: Call[] = [];
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected ${name}`));
  const gateway: PaymentGateway = {
    type: "test",
    verifyCredentials: unexpected("verifyCredentials"),
    createCustomer: unexpected("createCustomer"),
    retrieveCustomer: unexpected("retrieveCustomer"),
    updateCustomer: unexpected("updateCustomer"),
    attachPaymentMethod: unexpected("attachPaymentMethod"),
    listCards: unexpected("listCards"),
    charge: unexpected("charge"),
    async addTaxId(customerReference, taxId, idempotencyKey) {
      calls.push(["addTaxId", customerReference, taxId, idempotencyKey]);
      if (taxId.value === refuse) throw new GatewayRejected("Invalid value for eu_vat.", "tax_id_invalid", "value");
    },
    async setDefaultPaymentMethod(customerReference, paymentMethodReference, idempotencyKey) {
      calls.push(["setDefaultPaymentMethod", customerReference, paymentMethodReference, idempotencyKey]);
    },
  };
  return { gateway, calls };
}

const issues = (body: unknown) => {
  const result = BillingInformation.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("the billing_information schema", () => {
  it("takes tax IDs as Stripe names their types, and a Roster payment method id", () => {
    const body = {
      tax_ids: [
        { type: "eu_vat", value: "DE123456789" },
        { type: "gb_vat", value: "GB123456789" },
      ],
      default_payment_method_id: "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
    };
    expect(BillingInformation.parse(body)).toEqual(body);
    expect(BillingInformation.parse({})).toEqual({});
  });

  it("knows Stripe's tax ID types, and not the `unknown` of legacy tax IDs", () => {
    expect(TAX_ID_TYPES).toContain("eu_vat");
    expect(TAX_ID_TYPES).toContain("us_ein");
    expect(TAX_ID_TYPES).toContain("ca_gst_hst");
    expect(TAX_ID_TYPES).not.toContain("unknown");
    expect(new Set(TAX_ID_TYPES).size).toBe(TAX_ID_TYPES.length);
    expect(issues({ tax_ids: [{ type: "unknown", value: "X1" }] })).toHaveLength(1);
    expect(issues({ tax_ids: [{ type: "de_vat", value: "DE1" }] })[0]).toMatch(/^tax_ids\.0\.type: /);
  });

  it("refuses unknown fields, empty values, a duplicate tax ID and too many tax IDs, naming the field", () => {
    expect(issues({ tax_ids: [], invoice_prefix: "X" })).toEqual([expect.stringMatching(/invoice_prefix/)]);
    expect(issues({ tax_ids: [{ type: "eu_vat", value: "DE1", country: "DE" }] })).toEqual([
      expect.stringMatching(/^tax_ids\.0: .*country/),
    ]);
    expect(issues({ tax_ids: [{ type: "eu_vat", value: "" }] })).toEqual([
      expect.stringMatching(/^tax_ids\.0\.value: /),
    ]);
    expect(
      issues({
        tax_ids: [
          { type: "eu_vat", value: "DE1" },
          { type: "eu_vat", value: "DE2" },
          { type: "eu_vat", value: "DE1" },
        ],
      }),
    ).toEqual(["tax_ids.2: is listed twice"]);
    const many = Array.from({ length: MAX_TAX_IDS + 1 }, (_, i) => ({ type: "eu_vat", value: `DE${i}` }));
    expect(issues({ tax_ids: many })).toEqual([expect.stringMatching(/^tax_ids: /)]);
    expect(issues({ default_payment_method_id: "pm/../x" })).toEqual([
      expect.stringMatching(/^default_payment_method_id: /),
    ]);
  });
});

describe("forwarding billing information to the gateway customer", () => {
  it("adds each tax ID, then sets the default payment method", async () => {
    const { gateway, calls } = fakeGateway();
    await applyBillingInformation(
      gateway,
      "cus_QXg1o8vcGmoR32",
      {
        taxIds: [
          { type: "eu_vat", value: "DE123456789" },
          { type: "gb_vat", value: "GB123456789" },
        ],
        defaultPaymentMethodReference: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ",
      },
      "chg_1",
    );
    expect(calls.map(([method, customer, what]) => [method, customer, what])).toEqual([
      ["addTaxId", "cus_QXg1o8vcGmoR32", { type: "eu_vat", value: "DE123456789" }],
      ["addTaxId", "cus_QXg1o8vcGmoR32", { type: "gb_vat", value: "GB123456789" }],
      ["setDefaultPaymentMethod", "cus_QXg1o8vcGmoR32", "pm_1Pgc75B7WZ01zgkWlHVgdEGJ"],
    ]);
  });

  it("does nothing for empty billing information", async () => {
    const { gateway, calls } = fakeGateway();
    await applyBillingInformation(gateway, "cus_1", { taxIds: [] }, "chg_1");
    expect(calls).toEqual([]);
  });

  it("keys a tax ID by the customer and the tax ID, so forwarding it again never adds it twice", async () => {
    const { gateway, calls } = fakeGateway();
    const taxId = { type: "eu_vat", value: "DE123456789" } as const;
    await applyBillingInformation(gateway, "cus_1", { taxIds: [taxId] }, "chg_1");
    await applyBillingInformation(gateway, "cus_1", { taxIds: [taxId] }, "chg_2");
    await applyBillingInformation(gateway, "cus_2", { taxIds: [taxId] }, "chg_3");
    await applyBillingInformation(gateway, "cus_1", { taxIds: [{ type: "eu_vat", value: "DE999999999" }] }, "chg_4");
    const keys = calls.map((call) => call[3] as string);
    expect(keys[0]).toBe(keys[1]);
    expect(new Set([keys[0], keys[2], keys[3]]).size).toBe(3);
  });

  it("keys the default payment method by the change, so an earlier default can be made the default again", async () => {
    const { gateway, calls } = fakeGateway();
    const information = { taxIds: [], defaultPaymentMethodReference: "pm_1A" };
    await applyBillingInformation(gateway, "cus_1", information, "chg_1");
    await applyBillingInformation(gateway, "cus_1", information, "chg_1");
    await applyBillingInformation(gateway, "cus_1", information, "chg_2");
    const keys = calls.map((call) => call[3] as string);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[0]);
  });

  it("makes keys a header can carry, whatever the tax ID holds", async () => {
    const { gateway, calls } = fakeGateway();
    await applyBillingInformation(
      gateway,
      "cus_1",
      {
        taxIds: [{ type: "ru_inn", value: "ИНН 7707083893 — ünïcode ".repeat(4) }],
        defaultPaymentMethodReference: "pm_1",
      },
      "change with spaces and ✓",
    );
    for (const call of calls) expect(call[3]).toMatch(/^roster-[a-z_]+-[0-9a-f]{64}$/);
  });

  it("stops at the first tax ID the gateway refuses, passing its GatewayRejected on", async () => {
    const { gateway, calls } = fakeGateway("DE-INVALID");
    const failure = applyBillingInformation(
      gateway,
      "cus_1",
      {
        taxIds: [
          { type: "eu_vat", value: "DE123456789" },
          { type: "eu_vat", value: "DE-INVALID" },
          { type: "eu_vat", value: "DE987654321" },
        ],
        defaultPaymentMethodReference: "pm_1",
      },
      "chg_1",
    );
    await expect(failure).rejects.toBeInstanceOf(GatewayRejected);
    await expect(failure).rejects.toMatchObject({ code: "tax_id_invalid", param: "value" });
    expect(calls.map((call) => (call[2] as { value: string }).value)).toEqual(["DE123456789", "DE-INVALID"]);
  });
});
