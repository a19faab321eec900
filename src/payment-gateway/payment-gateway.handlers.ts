import type { RequestContext } from "../lib/background";
import { keepAnswer } from "../lib/kept-answer";
import type { AppRouteHandler } from "../lib/types";
import { toPaymentGatewayObject } from "./payment-gateway.object";
import type * as routes from "./payment-gateway.routes";
import * as service from "./payment-gateway.service";

const deps = (c: RequestContext): service.GatewayDeps => ({
  db: c.get("db"),
  orgId: c.get("orgId"),
  settings: c.env,
});

const configured = (row: service.GatewayConfigRow) => ({ status: 200 as const, body: toPaymentGatewayObject(row) });

const deleted = (row: service.GatewayConfigRow) => ({
  status: 200 as const,
  body: { object: "payment_gateway" as const, type: row.type, deleted: true as const },
});

export const putPaymentGateway: AppRouteHandler<typeof routes.putPaymentGateway> = async (c) => {
  const answer = configured(await service.put(deps(c), c.req.valid("json"), keepAnswer(c, configured)));
  return c.json(answer.body, answer.status);
};

export const getPaymentGateway: AppRouteHandler<typeof routes.getPaymentGateway> = async (c) =>
  c.json(toPaymentGatewayObject(await service.get(deps(c))), 200);

export const deletePaymentGateway: AppRouteHandler<typeof routes.deletePaymentGateway> = async (c) => {
  const answer = deleted(await service.remove(deps(c), keepAnswer(c, deleted)));
  return c.json(answer.body, answer.status);
};
