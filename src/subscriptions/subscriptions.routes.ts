import { createRoute } from "@hono/zod-openapi";
import { IdParams, PageQuery, recordParams } from "../customer-records/customer-records.params";
import {
  AUTHENTICATED,
  jsonBodyOf,
  jsonContent,
  NoQuery,
  noFieldsBody,
  problemResponses,
  WITH_BODY,
} from "../lib/openapi";
import { pageOf } from "../lib/pages";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import { Subscription, SubscriptionInput } from "./subscriptions.schemas";

const tags = ["Subscriptions"];
const security = [{ bearerAuth: [] }];

const SubscriptionList = pageOf(Subscription, "SubscriptionList");
const SubscriptionParams = recordParams("subscription_id", "sub");

const NO_CUSTOMER = "`customer_not_found` also when the customer is archived.";

export const listSubscriptions = createRoute({
  operationId: "listSubscriptions",
  method: "get",
  path: "/v1/customers/{id}/subscriptions",
  tags,
  security,
  summary: "List a customer's subscriptions",
  description: `The customer's subscriptions, active and canceled, oldest first, a page at a time (\`limit\`, \`cursor\` from \`next_cursor\`). ${NO_CUSTOMER}`,
  middleware: readRoute(),
  request: { params: IdParams, query: PageQuery },
  responses: {
    200: jsonContent(SubscriptionList, "The subscriptions"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found"),
  },
});

export const createSubscription = createRoute({
  operationId: "createSubscription",
  method: "post",
  path: "/v1/customers/{id}/subscriptions",
  tags,
  security,
  summary: "Create a subscription",
  description: `Creates an active subscription. A customer has at most one active subscription per \`plan_id\` + \`resource_id\` (a null \`resource_id\` is one resource): a second is \`409 subscription_exists\`, naming the active one in \`subscription_id\` (provision, by contrast, reuses it). ${NO_CUSTOMER}`,
  middleware: writeRoute(),
  request: { params: IdParams, query: NoQuery, body: jsonBodyOf(SubscriptionInput) },
  responses: {
    201: {
      ...jsonContent(Subscription, "The new subscription"),
      headers: {
        Location: { schema: { type: "string" }, description: "/v1/customers/{id}/subscriptions/{subscription_id}" },
      },
    },
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "subscription_exists"),
  },
});

export const getSubscription = createRoute({
  operationId: "getSubscription",
  method: "get",
  path: "/v1/customers/{id}/subscriptions/{subscription_id}",
  tags,
  security,
  summary: "Get a subscription",
  description: NO_CUSTOMER,
  middleware: readRoute(),
  request: { params: SubscriptionParams, query: NoQuery },
  responses: {
    200: jsonContent(Subscription, "The subscription"),
    ...problemResponses(...AUTHENTICATED, "validation_failed", "customer_not_found", "not_found"),
  },
});

export const cancelSubscription = createRoute({
  operationId: "cancelSubscription",
  method: "delete",
  path: "/v1/customers/{id}/subscriptions/{subscription_id}",
  tags,
  security,
  summary: "Cancel a subscription",
  description: `Sets \`status\` to \`canceled\`, \`cancel_reason\` to \`canceled_by_request\` and \`canceled_at\`; the subscription is kept. Idempotent: cancelling a canceled subscription answers 200 with it unchanged (its original \`canceled_at\` and \`cancel_reason\`). ${NO_CUSTOMER}`,
  middleware: deleteRoute(),
  request: { params: SubscriptionParams, query: NoQuery, body: noFieldsBody() },
  responses: {
    200: jsonContent(Subscription, "The canceled subscription"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "customer_not_found", "not_found"),
  },
});
