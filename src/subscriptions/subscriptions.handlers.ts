import { listPage } from "../customer-records/customer-records.pages";
import { customerNotFound, requireLiveCustomer } from "../customer-records/customer-records.repository";
import { requestOutbox } from "../event-deliveries/outbox";
import { ApiError } from "../lib/errors";
import { keepAnswer } from "../lib/kept-answer";
import type { AppRouteHandler } from "../lib/types";
import { newSubscriptionFrom, toSubscriptionObject } from "./subscriptions.object";
import * as repo from "./subscriptions.repository";
import type * as routes from "./subscriptions.routes";
import * as service from "./subscriptions.service";
import { subscriptionNotFound } from "./subscriptions.service";

const subscriptions = { name: "subscriptions", list: repo.listSubscriptions, toObject: toSubscriptionObject };

// The answers of the subscription writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (row: repo.SubscriptionRow) => ({
  status: 201 as const,
  body: toSubscriptionObject(row),
  headers: { Location: `/v1/customers/${encodeURIComponent(row.customer_id)}/subscriptions/${row.id}` },
});
const current = (row: repo.SubscriptionRow) => ({ status: 200 as const, body: toSubscriptionObject(row) });

export const listSubscriptions: AppRouteHandler<typeof routes.listSubscriptions> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await listPage(c.get("db"), c.get("orgId"), id, subscriptions, c.req.valid("query")), 200);
};

export const createSubscription: AppRouteHandler<typeof routes.createSubscription> = async (c) => {
  const { id } = c.req.valid("param");
  const orgId = c.get("orgId");
  // No lookup first: the insert writes only under a live customer of this organization.
  const outcome = await service.create(
    c.get("db"),
    orgId,
    id,
    newSubscriptionFrom(c.req.valid("json")),
    requestOutbox(c),
    null,
    keepAnswer(c, created),
  );
  if (outcome.status === "customer_gone") throw customerNotFound();
  if (outcome.status === "exists") {
    const existing = outcome.row;
    throw new ApiError(
      "subscription_exists",
      `The customer already has active subscription '${existing.id}' for this plan_id and resource_id.`,
      { extensions: { subscription_id: existing.id } },
    );
  }
  const answer = created(outcome.row);
  return c.json(answer.body, answer.status, answer.headers);
};

export const getSubscription: AppRouteHandler<typeof routes.getSubscription> = async (c) => {
  const { id, subscription_id: subscriptionId } = c.req.valid("param");
  const orgId = c.get("orgId");
  await requireLiveCustomer(c.get("db"), orgId, id);
  const row = await repo.findSubscription(c.get("db"), orgId, id, subscriptionId);
  if (!row) throw subscriptionNotFound();
  return c.json(toSubscriptionObject(row), 200);
};

export const cancelSubscription: AppRouteHandler<typeof routes.cancelSubscription> = async (c) => {
  const { id, subscription_id: subscriptionId } = c.req.valid("param");
  const orgId = c.get("orgId");
  await requireLiveCustomer(c.get("db"), orgId, id);
  const row = await service.cancel(c.get("db"), orgId, id, subscriptionId, requestOutbox(c), keepAnswer(c, current));
  const answer = current(row);
  return c.json(answer.body, answer.status);
};
