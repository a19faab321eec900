import type { RequestContext } from "../lib/background";
import type { AppRouteHandler } from "../lib/types";
import { toPaymentGatewayObject } from "./payment-gateway.object";
import type * as routes from "./payment-gateway.routes";
import * as service from "./payment-gateway.service";

const deps = (c: RequestContext): service.GatewayDeps => ({
  db: c.get("db"),
  orgId: c.get("orgId"),
  settings: c.env,
});

export const putPaymentGateway: AppRouteHandler<typeof routes.putPaymentGateway> = async (c) =>
  c.json(toPaymentGatewayObject(await service.put(deps(c), c.req.valid("json"))), 200);

export const getPaymentGateway: AppRouteHandler<typeof routes.getPaymentGateway> = async (c) =>
  c.json(toPaymentGatewayObject(await service.get(deps(c))), 200);

export const deletePaymentGateway: AppRouteHandler<typeof routes.deletePaymentGateway> = async (c) => {
  const row = await service.remove(deps(c));
  return c.json({ object: "payment_gateway" as const, type: row.type, deleted: true as const }, 200);
};
