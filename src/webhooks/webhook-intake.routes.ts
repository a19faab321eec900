import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent, problemResponses, WITH_BODY } from "../lib/openapi";
import { jsonBody, KiB } from "../middleware/json-body";
import { WebhookIntakeParams, WebhookResult, WebhookSignatureHeaders } from "./webhooks.schemas";

/** Identity providers' payloads can exceed the API's usual 64 KiB. */
export const WEBHOOK_BODY_LIMIT = 256 * KiB;

const eventRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * Documents the payload only. The body is checked after the signature (and an invalid event
 * is a `200 failed`, not a `400`), so the route's validator must accept anything.
 */
const WebhookEvent = z.unknown().openapi({
  description:
    "An event of the endpoint's `source`. Other event types are answered `ignored`. The body is signed byte for byte: send it exactly as signed.",
  anyOf: ["CustomerProvisionEvent", "CustomerArchiveEvent", "ClerkUserEvent", "ClerkUserDeletedEvent"].map(eventRef),
});

export const receiveWebhook = createRoute({
  operationId: "receiveWebhook",
  method: "post",
  path: "/v1/webhooks/{endpoint_id}",
  tags: ["Webhook intake"],
  // No API key: the Standard Webhooks signature authenticates the sender.
  security: [],
  summary: "Receive a signed webhook event",
  description:
    "Standard Webhooks verification (HMAC-SHA256 with the endpoint's secret over `{webhook-id}.{webhook-timestamp}.{raw body}`, timestamp within ±5 minutes), then the event is applied once per `webhook-id` (a redelivery answers `duplicate`; one that arrives while another delivery of the id is still being applied answers `409 webhook_in_progress` with `Retry-After`). Event times more than 5 minutes ahead of Roster's clock count as now. Events are ordered by when they happened at the source (`timestamp`, Clerk's `data.updated_at`), so a late older event does not overwrite newer data. Every verified event within its organization's request limit is answered `200`; a `5xx` means nothing was recorded and the sender should retry. `Idempotency-Key` is ignored here. Bodies up to 256 KiB, nesting at most 32 levels. Deliveries to unknown endpoints or with bad signatures count against the sending address's failure budget (`429 rate_limited` past it); verified deliveries never do. A verified delivery counts against its organization's request limit, shared with its API keys (3,000 per 10 s): past it, `429 rate_limited` with `Retry-After`, nothing recorded, and the sender delivers it again later. A deleted endpoint's secret may keep verifying for up to 5 seconds on other Worker instances. Without the deployment secret `ALTERNATIVE_ID_HASH_KEY`: `503 configuration_missing`.",
  middleware: [jsonBody(WEBHOOK_BODY_LIMIT)],
  request: {
    params: WebhookIntakeParams,
    headers: WebhookSignatureHeaders,
    body: { content: { "application/json": { schema: WebhookEvent } }, required: true },
  },
  responses: {
    200: jsonContent(WebhookResult, "The event was verified and handled (see `status`)"),
    ...problemResponses(
      "webhook_signature_invalid",
      "webhook_timestamp_out_of_range",
      "not_found",
      "webhook_in_progress",
      ...WITH_BODY,
      "rate_limited",
      "internal_error",
      "storage_unavailable",
      "configuration_missing",
    ),
  },
});
