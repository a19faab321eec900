import type { GatewayConfigRow } from "./payment-gateway.repository";
import type { PaymentGatewayObject } from "./payment-gateway.schemas";

/** The gateway as every read shows it: the secret key masked, never in full. */
export function toPaymentGatewayObject(row: GatewayConfigRow): PaymentGatewayObject {
  return {
    object: "payment_gateway",
    type: row.type,
    secret_key: row.secret_key_masked,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
