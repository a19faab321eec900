import { listPage } from "../customer-records/customer-records.pages";
import { customerNotFound, requireLiveCustomer } from "../customer-records/customer-records.repository";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import type { AppRouteHandler } from "../lib/types";
import { newSubscriptionFrom, toSubscriptionObject } from "./subscriptions.object";
import * as repo from "./subscriptions.repository";
import type * as routes from "./subscriptions.routes";

const subscriptionNotFound = () => new ApiError("not_found", "This customer has no subscription with this id.");

const subscriptions = { name: "subscriptions", list: repo.listSubscriptions, toObject: toSubscriptionObject };

export const listSubscriptions: AppRouteHandler<typeof routes.listSubscriptions> = async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await listPage(c.get("db"), c.get("orgId"), id, subscriptions, c.req.valid("query")), 200);
};

export const createSubscription: AppRouteHandler<typeof routes.createSubscription> = async (c) => {
  const { id } = c.req.valid("param");
  const orgId = c.get("orgId");
  // No lookup first: the insert writes only under a live customer of this organization.
  const outcome = await repo.createSubscription(
    c.get("db"),
    orgId,
    id,
    newSubscriptionFrom(c.req.valid("json")),
    nowIso(),
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
  const location = `/v1/customers/${encodeURIComponent(id)}/subscriptions/${outcome.row.id}`;
  return c.json(toSubscriptionObject(outcome.row), 201, { Location: location });
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
  const row = await repo.cancelSubscription(c.get("db"), orgId, id, subscriptionId, nowIso());
  if (!row) throw subscriptionNotFound();
  return c.json(toSubscriptionObject(row), 200);
};
