import { describe, expect, it } from "vitest";
import { type ChargeRequest, GatewayRejected, GatewayUnreachable } from "../src/payment-gateway/gateway";
import {
  API_BASE,
  expectStripeHeaders,
  fakeStripe,
  ok,
  paymentIntent,
  rejectionOf,
  SECRET_KEY,
  stripeError,
} from "./stripe-gateway-helpers";

/** The Stripe adapter's off-session charge: every outcome, and every way the exchange can fail. */

const CHARGE: ChargeRequest = {
  idempotencyKey: "roster-charge-ch_roster1",
  customerReference: "cus_QXg1o8vcGmoR32",
  paymentMethodReference: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ",
  amount: 1000,
  currency: "usd",
  description: "Credit top-up",
  metadata: { roster_charge_id: "ch_roster1", roster_customer_id: "cus_roster1" },
};
const PI_ID = "pi_3QxYzB7WZ01zgkWs0abc1234";

/** A 402 as Stripe answers a declined off-session PaymentIntent: the error carries the PaymentIntent. */
function decline(code: string, declineCode: string | null, message: string) {
  const lastPaymentError = { type: "card_error", code, decline_code: declineCode ?? undefined, message };
  return stripeError(402, {
    ...lastPaymentError,
    payment_intent: paymentIntent("requires_payment_method", { last_payment_error: lastPaymentError }),
  });
}

describe("charge: what is sent", () => {
  it("creates and confirms an off-session PaymentIntent with the charge's idempotency key", async () => {
    const stripe = fakeStripe(ok(paymentIntent("succeeded")));
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "succeeded", reference: PI_ID });
    const [request] = stripe.sent;
    expect([request!.method, request!.url]).toEqual(["POST", `${API_BASE}/v1/payment_intents`]);
    expectStripeHeaders(request!, "roster-charge-ch_roster1");
    expect(request!.body).toBe(
      "amount=1000&currency=usd&customer=cus_QXg1o8vcGmoR32&payment_method=pm_1Pgc75B7WZ01zgkWlHVgdEGJ" +
        "&confirm=true&off_session=true&automatic_payment_methods[enabled]=true" +
        "&automatic_payment_methods[allow_redirects]=never&description=Credit%20top-up" +
        "&metadata[roster_charge_id]=ch_roster1&metadata[roster_customer_id]=cus_roster1",
    );
  });

  it("leaves a null description out", async () => {
    const stripe = fakeStripe(ok(paymentIntent("succeeded")));
    await stripe.gateway.charge({ ...CHARGE, description: null, metadata: {} });
    expect(stripe.sent[0]!.body).not.toContain("description");
    expect(stripe.sent[0]!.body).not.toContain("metadata");
  });
});

describe("charge: declines", () => {
  const declines = [
    ["generic_decline", "card_declined", "generic_decline", "Your card was declined."],
    ["insufficient_funds", "card_declined", "insufficient_funds", "Your card has insufficient funds."],
    ["expired_card", "expired_card", "expired_card", "Your card has expired."],
    [
      "authentication_required (402)",
      "authentication_required",
      "authentication_required",
      "Your card was declined. This transaction requires authentication.",
    ],
  ] as const;

  for (const [name, code, declineCode, message] of declines) {
    it(`${name} is a failed outcome carrying Stripe's codes and the PaymentIntent`, async () => {
      const stripe = fakeStripe(decline(code, declineCode, message));
      await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({
        status: "failed",
        reference: PI_ID,
        failureCode: code,
        declineCode,
        message,
      });
    });
  }

  it("a 402 without a PaymentIntent or decline code still fails, with null for what is missing", async () => {
    const stripe = fakeStripe(
      stripeError(402, { type: "card_error", code: "card_declined", message: "Your card was declined." }),
    );
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({
      status: "failed",
      reference: null,
      failureCode: "card_declined",
      declineCode: null,
      message: "Your card was declined.",
    });
  });

  it("a PaymentIntent left in requires_action (3D Secure) fails as authentication_required", async () => {
    const stripe = fakeStripe(ok(paymentIntent("requires_action", { next_action: { type: "use_stripe_sdk" } })));
    const outcome = await stripe.gateway.charge(CHARGE);
    expect(outcome).toMatchObject({
      status: "failed",
      reference: PI_ID,
      failureCode: "authentication_required",
      declineCode: null,
    });
  });

  it("a PaymentIntent answered in requires_payment_method fails with its last payment error", async () => {
    const lastPaymentError = {
      type: "card_error",
      code: "card_declined",
      decline_code: "do_not_honor",
      message: "Your card was declined.",
    };
    const stripe = fakeStripe(ok(paymentIntent("requires_payment_method", { last_payment_error: lastPaymentError })));
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({
      status: "failed",
      reference: PI_ID,
      failureCode: "card_declined",
      declineCode: "do_not_honor",
      message: "Your card was declined.",
    });
  });
});

describe("charge: outcome unknown (it may have been applied)", () => {
  it("a timeout after sending is unknown, not unreachable", async () => {
    const stripe = fakeStripe("hang");
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: null });
    expect(stripe.sent).toHaveLength(1);
  });

  it("a connection lost while reading the answer is unknown", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id": "pi_3Qx'));
        controller.error(new TypeError("Network connection lost."));
      },
    });
    const stripe = fakeStripe(new Response(body, { status: 200, headers: { "Content-Type": "application/json" } }));
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: null });
  });

  it("a 500 is unknown; the caller's retry sends the same key and body, and learns the outcome", async () => {
    const stripe = fakeStripe(
      stripeError(500, { type: "api_error", message: "An unknown error occurred" }),
      ok(paymentIntent("succeeded")),
    );
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: null });
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "succeeded", reference: PI_ID });
    const [first, retry] = stripe.sent;
    expect(retry!.headers["idempotency-key"]).toBe("roster-charge-ch_roster1");
    expect(retry!.headers["idempotency-key"]).toBe(first!.headers["idempotency-key"]);
    expect(retry!.body).toBe(first!.body);
  });

  it("a 429 and a concurrent request with the same key (409) are unknown", async () => {
    const stripe = fakeStripe(
      stripeError(429, { type: "invalid_request_error", code: "rate_limit", message: "Too many requests." }),
      stripeError(409, {
        type: "idempotency_error",
        code: "idempotency_key_in_use",
        message: "There is currently another in-progress request using this Idempotent Key.",
      }),
    );
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: null });
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: null });
  });

  it("a processing PaymentIntent is read again by id, since a retried key replays `processing`", async () => {
    const stripe = fakeStripe(
      ok(paymentIntent("processing")),
      ok(paymentIntent("processing")),
      ok(paymentIntent("processing")),
      ok(paymentIntent("succeeded")),
    );
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: PI_ID });
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "succeeded", reference: PI_ID });
    expect(stripe.sent.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST ${API_BASE}/v1/payment_intents`,
      `GET ${API_BASE}/v1/payment_intents/${PI_ID}`,
      `POST ${API_BASE}/v1/payment_intents`,
      `GET ${API_BASE}/v1/payment_intents/${PI_ID}`,
    ]);
    expectStripeHeaders(stripe.sent[1]!, null);
  });

  it("a processing PaymentIntent whose read times out stays unknown, with its reference", async () => {
    const stripe = fakeStripe(ok(paymentIntent("processing")), "hang");
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "unknown", reference: PI_ID });
  });
});

describe("charge: never reached Stripe, or refused", () => {
  it("a refused connection is tried once more with the same key, then GatewayUnreachable", async () => {
    const refused = new TypeError("Network connection lost.");
    const stripe = fakeStripe(refused, refused);
    const error = await rejectionOf(stripe.gateway.charge(CHARGE));
    expect(error).toBeInstanceOf(GatewayUnreachable);
    expect(stripe.sent.map((request) => request.headers["idempotency-key"])).toEqual([
      "roster-charge-ch_roster1",
      "roster-charge-ch_roster1",
    ]);
  });

  it("a connection that failed once, then answers, gives Stripe's outcome", async () => {
    const stripe = fakeStripe(new TypeError("Network connection lost."), ok(paymentIntent("succeeded")));
    await expect(stripe.gateway.charge(CHARGE)).resolves.toEqual({ status: "succeeded", reference: PI_ID });
  });

  it("an unknown payment method is GatewayRejected with Stripe's message, code and param", async () => {
    const stripe = fakeStripe(
      stripeError(400, {
        type: "invalid_request_error",
        code: "resource_missing",
        message: "No such PaymentMethod: 'pm_nope'",
        param: "payment_method",
      }),
    );
    const error = await rejectionOf(stripe.gateway.charge({ ...CHARGE, paymentMethodReference: "pm_nope" }));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect([error.message, (error as GatewayRejected).code, (error as GatewayRejected).param]).toEqual([
      "No such PaymentMethod: 'pm_nope'",
      "resource_missing",
      "payment_method",
    ]);
  });

  it("the key reused with other parameters is GatewayRejected with code idempotency_error", async () => {
    const stripe = fakeStripe(
      stripeError(400, {
        type: "idempotency_error",
        message: "Keys for idempotent requests can only be used with the same parameters they were first used with.",
      }),
    );
    const error = await rejectionOf(stripe.gateway.charge(CHARGE));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect((error as GatewayRejected).code).toBe("idempotency_error");
  });

  it("a refused key (401) is GatewayRejected, never repeating the key", async () => {
    const stripe = fakeStripe(
      stripeError(401, { type: "invalid_request_error", message: `Invalid API Key provided: ${SECRET_KEY}` }),
    );
    const error = await rejectionOf(stripe.gateway.charge(CHARGE));
    expect(error).toBeInstanceOf(GatewayRejected);
    expect(error.message).not.toContain(SECRET_KEY);
    expect(error.message).toContain("sk_[redacted]");
  });
});
