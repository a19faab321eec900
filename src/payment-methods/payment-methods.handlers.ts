import { listPage } from "../customer-records/customer-records.pages";
import { customerNotFound, requireLiveCustomer } from "../customer-records/customer-records.repository";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { deletedBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import { toPaymentMethodObject } from "./payment-methods.object";
import * as repo from "./payment-methods.repository";
import type * as routes from "./payment-methods.routes";

const paymentMethods = { name: "payment_methods", list: repo.listPaymentMethods, toObject: toPaymentMethodObject };

export const listPaymentMethods: AppRouteHandler<typeof routes.listPaymentMethods> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await listPage(c.get("db"), c.get("orgId"), id, paymentMethods, c.req.valid("query")), 200);
};

export const createPaymentMethod: AppRouteHandler<typeof routes.createPaymentMethod> = async (c) => {
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const orgId = c.get("orgId");
  // No lookup first: the insert writes only under a live customer of this organization.
  const row = await repo.insertPaymentMethod(
    c.get("db"),
    orgId,
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
    nowIso(),
  );
  if (!row) throw customerNotFound();
  return c.json(toPaymentMethodObject(row), 201);
};

export const deletePaymentMethod: AppRouteHandler<typeof routes.deletePaymentMethod> = async (c) => {
  const { id, payment_method_id: paymentMethodId } = c.req.valid("param");
  const orgId = c.get("orgId");
  await requireLiveCustomer(c.get("db"), orgId, id);
  if (!(await repo.deletePaymentMethod(c.get("db"), orgId, id, paymentMethodId, nowIso()))) {
    throw new ApiError("not_found", "This customer has no payment method with this id.");
  }
  return c.json(deletedBody("payment_method", paymentMethodId), 200);
};
