import { requestOutbox } from "../event-deliveries/outbox";
import { newId } from "../lib/ids";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import { attachWithGateway } from "./gateway-attach";
import { toPaymentMethodObject } from "./payment-methods.object";
import type * as routes from "./payment-methods.routes";
import type { PaymentMethodObject } from "./payment-methods.schemas";
import * as service from "./payment-methods.service";

// The answers of the payment method writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (paymentMethod: PaymentMethodObject) => ({ status: 201 as const, body: paymentMethod });
const deleted = (paymentMethodId: string) => ({
  status: 200 as const,
  body: deletedBody("payment_method", paymentMethodId),
});

export const listPaymentMethods: AppRouteHandler<typeof routes.listPaymentMethods> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await service.list(c.get("db"), c.get("orgId"), id, c.req.valid("query")), 200);
};

export const createPaymentMethod: AppRouteHandler<typeof routes.createPaymentMethod> = async (c) => {
  const { id: customerId } = c.req.valid("param");
  const input = c.req.valid("json");
  const db = c.get("db");
  const orgId = c.get("orgId");
  const id = newId("pm");
  // With the organization's gateway, checked and attached there first (spec section 11).
  const { paymentMethod, record } = await attachWithGateway(
    { db, orgId, settings: c.env },
    customerId,
    id,
    {
      gateway: input.gateway ?? null,
      gateway_reference: input.gateway_reference,
      brand: input.brand ?? null,
      last4: input.last4 ?? null,
      exp_month: input.exp_month ?? null,
      exp_year: input.exp_year ?? null,
      is_default: input.is_default ?? false,
    },
    input,
  );
  const row = await service.create(db, orgId, customerId, paymentMethod, requestOutbox(c), keepAnswer(c, created), {
    id,
    together: record,
  });
  const answer = created(toPaymentMethodObject(row));
  return c.json(answer.body, answer.status);
};

export const deletePaymentMethod: AppRouteHandler<typeof routes.deletePaymentMethod> = async (c) => {
  const { id, payment_method_id: paymentMethodId } = c.req.valid("param");
  await service.remove(c.get("db"), c.get("orgId"), id, paymentMethodId, requestOutbox(c), keepAnswer(c, deleted));
  const answer = deleted(paymentMethodId);
  return c.json(answer.body, answer.status);
};
