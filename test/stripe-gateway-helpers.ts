import { expect } from "vitest";
import { stripeGateway } from "../src/payment-gateway/stripe";

/**
 * A scripted Stripe for the adapter's tests: each request takes the next reply, in order, and
 * is recorded as sent. Bodies are shaped as Stripe's API reference shows its objects and errors.
 */

export const SECRET_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
export const API_BASE = "http://stripe-mock.test:12111";

/** A JSON answer, a raw Response, a rejection of fetch, or a fetch that hangs until aborted. */
export type Reply = { status: number; body: unknown } | Response | Error | "hang";

export type SentRequest = { method: string; url: string; headers: Record<string, string>; body: string };

export function fakeStripe(...replies: Reply[]) {
  const sent: SentRequest[] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    sent.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      // Decoded as bytes: workerd warns when .text() reads a form-encoded body.
      body: new TextDecoder().decode(await request.arrayBuffer()),
    });
    const reply = replies.shift();
    if (reply === undefined) throw new Error(`unexpected request to Stripe: ${request.method} ${request.url}`);
    if (reply === "hang") {
      const signal = init?.signal;
      return new Promise<Response>((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    }
    if (reply instanceof Error) throw reply;
    if (reply instanceof Response) return reply;
    return Response.json(reply.body, { status: reply.status, headers: { "Request-Id": "req_test" } });
  };
  const gateway = stripeGateway(SECRET_KEY, API_BASE, fetchImpl as typeof fetch, 50);
  return { gateway, sent, remaining: () => replies.length };
}

export const ok = (body: unknown): Reply => ({ status: 200, body });

export function stripeError(status: number, error: Record<string, unknown>): Reply {
  return { status, body: { error: { doc_url: "https://docs.stripe.com/error-codes", ...error } } };
}

/** Headers every request carries, and those only a creating POST carries. */
export function expectStripeHeaders(request: SentRequest, idempotencyKey: string | null): void {
  expect(request.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
  expect(request.headers["stripe-version"]).toBe("2026-10-28.endive");
  expect(request.headers["idempotency-key"]).toBe(idempotencyKey ?? undefined);
  expect(request.headers["content-type"]).toBe(
    request.method === "POST" ? "application/x-www-form-urlencoded" : undefined,
  );
}

/** The rejection a promise ends with (the test fails if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

export function customerObject(overrides: Record<string, unknown> = {}) {
  return {
    id: "cus_QXg1o8vcGmoR32",
    object: "customer",
    address: null,
    balance: 0,
    created: 1_764_950_400,
    email: "ada@example.com",
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: { roster_customer_id: "cus_roster1" },
    name: "Ada Lovelace",
    phone: null,
    preferred_locales: ["en-GB"],
    ...overrides,
  };
}

export function cardPaymentMethod(
  id: string,
  card: Partial<Record<string, unknown>> = {},
  customer: string | null = null,
) {
  return {
    id,
    object: "payment_method",
    billing_details: { address: null, email: null, name: null, phone: null },
    card: { brand: "visa", country: "US", exp_month: 8, exp_year: 2030, funding: "credit", last4: "4242", ...card },
    created: 1_764_950_400,
    customer,
    livemode: false,
    metadata: {},
    type: "card",
  };
}

export function paymentIntent(status: string, overrides: Record<string, unknown> = {}) {
  return {
    id: "pi_3QxYzB7WZ01zgkWs0abc1234",
    object: "payment_intent",
    amount: 1000,
    amount_received: status === "succeeded" ? 1000 : 0,
    capture_method: "automatic",
    confirmation_method: "automatic",
    created: 1_764_950_400,
    currency: "usd",
    customer: "cus_QXg1o8vcGmoR32",
    description: null,
    last_payment_error: null,
    latest_charge: status === "succeeded" ? "ch_3QxYzB7WZ01zgkWs0def5678" : null,
    livemode: false,
    metadata: {},
    next_action: null,
    payment_method: "pm_1Pgc75B7WZ01zgkWlHVgdEGJ",
    status,
    ...overrides,
  };
}
