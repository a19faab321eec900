import { env } from "cloudflare:workers";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { getCustomer } from "./helpers";
import { createAt, customerWith } from "./sub-resources-helpers";

/** Shared by the payment-methods*.test.ts files. */

export const UNKNOWN_ID = "pm_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R";

export const CARD = { gateway: "stripe", gateway_reference: "pm_1MqLiJLkdIwHu7ixUEgbFdYF" };

export const customerSetup = () => customerWith("payment_methods");

export const addPaymentMethod = (key: string, base: string, body: Record<string, unknown> = CARD) =>
  createAt<PaymentMethodObject>("payment method", key, base, body);

export const defaultsOf = (paymentMethods: PaymentMethodObject[]) =>
  paymentMethods.filter((paymentMethod) => paymentMethod.is_default).map((paymentMethod) => paymentMethod.id);

export const storedCount = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM payment_methods").first<{ n: number }>())?.n;

export async function customerState(key: string, customerId: string) {
  const response = await getCustomer(key, customerId);
  return {
    hasPaymentMethod: response.body.has_payment_method,
    etag: response.headers.get("ETag"),
    updatedAt: response.body.updated_at,
  };
}
