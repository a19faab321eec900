import { requestOutbox } from "../event-deliveries/outbox";
import { keepAnswer } from "../lib/kept-answer";
import type { AppRouteHandler } from "../lib/types";
import { newSubscriptionFrom, toSubscriptionObject } from "./subscriptions.object";
import type * as routes from "./subscriptions.routes";
import * as service from "./subscriptions.service";

// The answers of the subscription writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (row: service.SubscriptionRow) => ({
  status: 201 as const,
  body: toSubscriptionObject(row),
  headers: { Location: `/v1/customers/${encodeURIComponent(row.customer_id)}/subscriptions/${row.id}` },
});
const current = (row: service.SubscriptionRow) => ({ status: 200 as const, body: toSubscriptionObject(row) });

export const listSubscriptions: AppRouteHandler<typeof routes.listSubscriptions> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await service.list(c.get("db"), c.get("orgId"), id, c.req.valid("query")), 200);
};

export const createSubscription: AppRouteHandler<typeof routes.createSubscription> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await service.createForCustomer(
    c.get("db"),
    c.get("orgId"),
    id,
    newSubscriptionFrom(c.req.valid("json")),
    requestOutbox(c),
    keepAnswer(c, created),
  );
  const answer = created(row);
  return c.json(answer.body, answer.status, answer.headers);
};

export const getSubscription: AppRouteHandler<typeof routes.getSubscription> = async (c) => {
  const { id, subscription_id: subscriptionId } = c.req.valid("param");
  return c.json(toSubscriptionObject(await service.get(c.get("db"), c.get("orgId"), id, subscriptionId)), 200);
};

export const cancelSubscription: AppRouteHandler<typeof routes.cancelSubscription> = async (c) => {
  const { id, subscription_id: subscriptionId } = c.req.valid("param");
  const row = await service.cancel(
    c.get("db"),
    c.get("orgId"),
    id,
    subscriptionId,
    requestOutbox(c),
    keepAnswer(c, current),
  );
  const answer = current(row);
  return c.json(answer.body, answer.status);
};
