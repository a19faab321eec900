import { createRoute } from "@hono/zod-openapi";
import { AUTHENTICATED, jsonBodyOf, jsonContent, noFieldsBody, problemResponses, WITH_BODY } from "../lib/openapi";
import { deleteRoute, readRoute, writeRoute } from "../middleware/stacks";
import {
  CreateWebhookEndpointBody,
  DeletedWebhookEndpoint,
  RotateWebhookEndpointSecretBody,
  WebhookEndpointIdParams,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
} from "./webhooks.schemas";

const tags = ["Webhook endpoints"];
const security = [{ bearerAuth: [] }];

export const createWebhookEndpoint = createRoute({
  operationId: "createWebhookEndpoint",
  method: "post",
  path: "/v1/webhook_endpoints",
  tags,
  security,
  summary: "Create a webhook endpoint",
  description:
    "An endpoint receives signed events at its `url` (`POST /v1/webhooks/{endpoint_id}`). Give the sender the `url` (prefixed with Roster's base URL) and the `secret`; the secret is shown in full only here and on rotation. For a sender that issues its own secret (Clerk), create the endpoint with that `secret`. Webhooks need the deployment secret `ALTERNATIVE_ID_HASH_KEY` (to keep archived customers archived); without it: `503 configuration_missing`.",
  middleware: writeRoute(),
  request: { body: jsonBodyOf(CreateWebhookEndpointBody) },
  responses: {
    201: jsonContent(WebhookEndpointWithSecret, "The new endpoint, with its secret"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "configuration_missing"),
  },
});

export const listWebhookEndpoints = createRoute({
  operationId: "listWebhookEndpoints",
  method: "get",
  path: "/v1/webhook_endpoints",
  tags,
  security,
  summary: "List this organization's webhook endpoints",
  description: "Newest first. Secrets are masked (`whsec_…` and their last four characters).",
  middleware: readRoute(),
  responses: { 200: jsonContent(WebhookEndpointList, "The endpoints"), ...problemResponses(...AUTHENTICATED) },
});

export const deleteWebhookEndpoint = createRoute({
  operationId: "deleteWebhookEndpoint",
  method: "delete",
  path: "/v1/webhook_endpoints/{id}",
  tags,
  security,
  summary: "Delete a webhook endpoint",
  description:
    "Its secrets are erased at once; deliveries to its URL answer `404` from then on (on other Worker instances within 5 seconds).",
  middleware: deleteRoute(),
  request: { params: WebhookEndpointIdParams, body: noFieldsBody() },
  responses: {
    200: jsonContent(DeletedWebhookEndpoint, "The endpoint is deleted"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});

export const rotateWebhookEndpointSecret = createRoute({
  operationId: "rotateWebhookEndpointSecret",
  method: "post",
  path: "/v1/webhook_endpoints/{id}/rotate_secret",
  tags,
  security,
  summary: "Rotate a webhook endpoint's secret",
  description:
    "Issues a new secret (shown in full in this response), or takes the sender's new `secret`. The secret it replaces keeps verifying for 24 hours, so the sender can switch without losing events; a second rotation ends that at once (only the most recent previous secret ever verifies).",
  middleware: writeRoute(),
  request: {
    params: WebhookEndpointIdParams,
    body: { ...jsonBodyOf(RotateWebhookEndpointSecretBody), required: false },
  },
  responses: {
    200: jsonContent(WebhookEndpointWithSecret, "The endpoint, with its new secret"),
    ...problemResponses(...AUTHENTICATED, ...WITH_BODY, "not_found"),
  },
});
