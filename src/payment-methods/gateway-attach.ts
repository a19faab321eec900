import { requireLiveCustomer } from "../customer-records/customer-records.repository";
import type { Db } from "../lib/db";
import { ApiError, type FieldError } from "../lib/errors";
import { gatewayKeyRing } from "../payment-gateway/configuration";
import { gatewayCustomerOf } from "../payment-gateway/customer-link.service";
import { askGateway } from "../payment-gateway/gateway-errors";
import { findGatewayConfig } from "../payment-gateway/payment-gateway.repository";
import { type GatewaySettings, openGateway } from "../payment-gateway/payment-gateway.service";
import type { NewPaymentMethod } from "./payment-methods.repository";

/**
 * A payment method added with the organization's gateway as its `gateway` (spec section 11):
 * the gateway checks the reference, it is attached to the customer's gateway customer (created
 * on first need), and its card details are the gateway's. Values the caller sent that disagree
 * are `400 validation_failed`. Any other gateway name (or none configured) keeps it a plain
 * reference (spec section 4). Nothing is recorded here: the link (if new) goes in the batch
 * that inserts the payment method (`record`), so a refusal leaves Roster unchanged.
 */

export type Attached = { paymentMethod: NewPaymentMethod; record: D1PreparedStatement[] };

/** The gateway idempotency key of attaching Roster payment method `id` to `customerReference`. */
const attachKey = (orgId: string, id: string, customerReference: string) =>
  `roster-attach-${orgId}-${id}-${customerReference}`;

const DESCRIBED = ["brand", "last4", "exp_month", "exp_year"] as const;

export async function attachWithGateway(
  deps: { db: Db; orgId: string; settings: GatewaySettings },
  customerId: string,
  id: string,
  input: NewPaymentMethod,
  sent: Partial<Record<(typeof DESCRIBED)[number], unknown>>,
): Promise<Attached> {
  const config = input.gateway === null ? null : await findGatewayConfig(deps.db, deps.orgId);
  if (config === null || config.type !== input.gateway) return { paymentMethod: input, record: [] };
  await gatewayKeyRing(deps.settings);
  await requireLiveCustomer(deps.db, deps.orgId, customerId);
  const opened = await openGateway(deps);
  const { reference, record } = await gatewayCustomerOf(deps.db, opened, customerId);
  const card = await askGateway(() =>
    opened.gateway.attachPaymentMethod(reference, input.gateway_reference, attachKey(deps.orgId, id, reference)),
  );
  const described = { brand: card.brand, last4: card.last4, exp_month: card.expMonth, exp_year: card.expYear };
  const errors: FieldError[] = DESCRIBED.filter(
    (field) => sent[field] !== undefined && sent[field] !== null && sent[field] !== described[field],
  ).map((field) => ({ pointer: `/${field}`, detail: `does not match the gateway's ${field}` }));
  if (errors.length > 0) {
    throw new ApiError("validation_failed", "The card details sent disagree with the gateway's; nothing was stored.", {
      errors,
    });
  }
  // The attached method's id: Stripe answers a copy's id when a test token is attached.
  return { paymentMethod: { ...input, ...described, gateway_reference: card.reference }, record };
}
