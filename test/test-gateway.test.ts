import { describe, expect, it } from "vitest";
import { type ChargeRequest, GatewayRejected } from "../src/payment-gateway/gateway";
import { testGateway } from "../src/payment-gateway/test-gateway";

const gateway = testGateway();

const request = (paymentMethodReference: string, idempotencyKey = "roster-charge-ch_1"): ChargeRequest => ({
  idempotencyKey,
  customerReference: "gcus_0123456789abcdef01234567",
  paymentMethodReference,
  amount: 1000,
  currency: "usd",
  description: null,
  metadata: {},
});

describe("the test gateway", () => {
  it.each([
    ["pm_card_visa", "visa", "4242"],
    ["pm_card_mastercard", "mastercard", "4444"],
    ["pm_card_amex", "amex", "8431"],
  ])("charges %s and describes it as Stripe's test card (%s %s)", async (reference, brand, last4) => {
    const outcome = await gateway.charge(request(reference));
    expect(outcome).toEqual({ status: "succeeded", reference: expect.stringMatching(/^pi_test_[0-9a-f]{24}$/) });
    const card = await gateway.attachPaymentMethod("gcus_0123456789abcdef01234567", reference, "k");
    expect(card).toMatchObject({ reference, brand, last4, expMonth: 12 });
    expect(card.expYear).toBeGreaterThan(new Date().getUTCFullYear());
  });

  it.each([
    ["pm_card_chargeDeclined", "card_declined", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"],
    ["pm_card_authenticationRequired", "authentication_required", "authentication_required"],
  ])("declines %s with %s / %s", async (reference, failureCode, declineCode) => {
    const outcome = await gateway.charge(request(reference));
    expect(outcome).toMatchObject({ status: "failed", failureCode, declineCode });
    expect(outcome.status === "failed" && outcome.message.length > 0).toBe(true);
  });

  it("refuses any other reference, and unknown customers", async () => {
    await expect(gateway.charge(request("pm_1NotATestCard"))).rejects.toBeInstanceOf(GatewayRejected);
    await expect(gateway.charge(request("toString"))).rejects.toBeInstanceOf(GatewayRejected);
    await expect(gateway.charge({ ...request("pm_card_visa"), customerReference: "cus_x" })).rejects.toMatchObject({
      code: "resource_missing",
    });
    await expect(gateway.retrieveCustomer("gcus_nope")).rejects.toBeInstanceOf(GatewayRejected);
  });

  it("answers the same idempotency key the same way, and another key otherwise", async () => {
    const first = await gateway.charge(request("pm_card_visa", "key-a"));
    expect(await gateway.charge(request("pm_card_visa", "key-a"))).toEqual(first);
    expect(await gateway.charge(request("pm_card_visa", "key-b"))).not.toEqual(first);
    const customer = await gateway.createCustomer({}, "customer-key");
    expect(customer).toMatch(/^gcus_[0-9a-f]{24}$/);
    expect(await gateway.createCustomer({ name: "other fields" }, "customer-key")).toBe(customer);
    expect(await gateway.retrieveCustomer(customer)).toEqual({ reference: customer, defaultPaymentMethod: null });
  });

  it("checks tax ids by type", async () => {
    const customer = await gateway.createCustomer({}, "c");
    await expect(gateway.addTaxId(customer, { type: "eu_vat", value: "DE123456789" }, "t")).resolves.toBeUndefined();
    await expect(gateway.addTaxId(customer, { type: "eu_vat", value: "nope" }, "t")).rejects.toMatchObject({
      code: "tax_id_invalid",
    });
    await expect(gateway.addTaxId(customer, { type: "xx_bogus", value: "1" }, "t")).rejects.toBeInstanceOf(
      GatewayRejected,
    );
  });
});
