import { vi } from "vitest";
import { call, newOrganization } from "./helpers";

/**
 * A Stripe stand-in behind a stubbed `fetch` (the real adapter, src/payment-gateway/stripe.ts,
 * talks to it): Stripe-shaped answers for the calls the customer linking makes, and a log of
 * every request with its form body and Idempotency-Key. Shared by gateway-customers.*.test.ts.
 */

export const STRIPE_KEY = "sk_test_51HxQzLkdIwHu7ixAbCdEfGh0123456789xyzWq4242";

export type StripeRequest = { method: string; path: string; form: URLSearchParams; idempotencyKey: string | null };

const stripeCustomer = (id: string, defaultPaymentMethod: string | null = null) => ({
  id,
  object: "customer",
  created: 1_764_000_000,
  email: null,
  invoice_settings: { custom_fields: null, default_payment_method: defaultPaymentMethod, footer: null },
  livemode: false,
  metadata: {},
  name: null,
});

const card = (id: string, customer: string, brand: string, last4: string) => ({
  id,
  object: "payment_method",
  type: "card",
  customer: customer === "" ? null : customer,
  card: { brand, last4, exp_month: 8, exp_year: 2031, country: "US", funding: "credit" },
  created: 1_764_000_000,
  livemode: false,
  metadata: {},
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const missing = (message: string, param: string) =>
  json(404, { error: { type: "invalid_request_error", code: "resource_missing", message, param } });

/**
 * Stripe with one customer `cus_Existing` holding two cards (default `pm_1Master`). `updateStatus`
 * scripts the answer to customer updates (500: Stripe failed; 400: refused).
 */
export function stubStripe(options: { updateStatus?: () => number } = {}) {
  const requests: StripeRequest[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const form = new URLSearchParams(request.method === "POST" ? await request.text() : url.search);
    requests.push({
      method: request.method,
      path: url.pathname,
      form,
      idempotencyKey: request.headers.get("Idempotency-Key"),
    });
    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /v1/customers")
      return json(200, { object: "list", data: [], has_more: false, url: "/v1/customers" });
    if (route === "GET /v1/customers/cus_Existing") return json(200, stripeCustomer("cus_Existing", "pm_1Master"));
    if (route === "POST /v1/customers/cus_Existing") {
      const status = options.updateStatus?.() ?? 200;
      if (status === 400) {
        return json(400, {
          error: {
            type: "invalid_request_error",
            code: "parameter_invalid_string",
            message: "Invalid phone",
            param: "phone",
          },
        });
      }
      if (status >= 500) return json(status, { error: { type: "api_error", message: "Something went wrong" } });
      return json(200, stripeCustomer("cus_Existing", "pm_1Master"));
    }
    if (route === "GET /v1/customers/cus_Existing/payment_methods") {
      return json(200, {
        object: "list",
        data: [
          card("pm_1Visa", "cus_Existing", "visa", "4242"),
          card("pm_1Master", "cus_Existing", "mastercard", "4444"),
        ],
        has_more: false,
        url: "/v1/customers/cus_Existing/payment_methods",
      });
    }
    if (route === "POST /v1/customers/cus_Existing/tax_ids" || route === "POST /v1/customers/cus_New/tax_ids") {
      if (!/^[A-Z]{2}[0-9A-Z]{2,12}$/.test(form.get("value") ?? "")) {
        return json(400, {
          error: {
            type: "invalid_request_error",
            code: "tax_id_invalid",
            message: "Invalid value for eu_vat.",
            param: "value",
          },
        });
      }
      return json(200, { id: "txi_1", object: "tax_id", type: form.get("type"), value: form.get("value") });
    }
    if (route === "POST /v1/customers") return json(200, stripeCustomer("cus_New"));
    if (route === "GET /v1/customers/cus_New") return json(200, stripeCustomer("cus_New"));
    if (route === "GET /v1/payment_methods/pm_card_visa") return json(200, card("pm_card_visa", "", "visa", "4242"));
    if (route === "POST /v1/payment_methods/pm_card_visa/attach") {
      return json(200, card("pm_1Attached", form.get("customer") ?? "", "visa", "4242"));
    }
    if (url.pathname.startsWith("/v1/customers/")) return missing("No such customer: 'x'", "id");
    return missing(`Unrouted ${route}`, "path");
  });
  return { requests, spy };
}

/** A new organization whose payment gateway is Stripe, reached through `stubStripe`. */
export async function stripeOrganization(options: Parameters<typeof stubStripe>[0] = {}) {
  const stripe = stubStripe(options);
  const org = await newOrganization();
  const put = await call("PUT", "/v1/payment_gateway", {
    key: org.key,
    body: { type: "stripe", secret_key: STRIPE_KEY },
  });
  if (put.status !== 200) throw new Error(put.text);
  return { ...org, stripe };
}
