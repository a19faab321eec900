import type { PaymentMethodRow } from "./payment-methods.repository";
import type { PaymentMethodObject } from "./payment-methods.schemas";

export function toPaymentMethodObject(row: PaymentMethodRow): PaymentMethodObject {
  return {
    object: "payment_method",
    id: row.id,
    customer_id: row.customer_id,
    gateway: row.gateway,
    gateway_reference: row.gateway_reference,
    brand: row.brand,
    last4: row.last4,
    exp_month: row.exp_month,
    exp_year: row.exp_year,
    is_default: row.is_default === 1,
    created_at: row.created_at,
  };
}
