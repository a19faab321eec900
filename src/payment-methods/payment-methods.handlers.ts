import { requestOutbox } from "../event-deliveries/outbox";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
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
  const row = await service.add(
    { db: c.get("db"), orgId: c.get("orgId"), settings: c.env },
    customerId,
    input,
    requestOutbox(c),
    keepAnswer(c, created),
  );
  const answer = created(toPaymentMethodObject(row));
  return c.json(answer.body, answer.status);
};

export const deletePaymentMethod: AppRouteHandler<typeof routes.deletePaymentMethod> = async (c) => {
  const { id, payment_method_id: paymentMethodId } = c.req.valid("param");
  await service.remove(c.get("db"), c.get("orgId"), id, paymentMethodId, requestOutbox(c), keepAnswer(c, deleted));
  const answer = deleted(paymentMethodId);
  return c.json(answer.body, answer.status);
};
