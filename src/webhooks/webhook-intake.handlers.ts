import { requestOutbox } from "../event-deliveries/outbox";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { logInfo } from "../lib/logger";
import type { AppRouteHandler } from "../lib/types";
import { applyWebhookAction, type WebhookOutcome } from "./apply-webhook-action";
import { interpretClerkEvent } from "./clerk-events";
import { oncePerMessage } from "./once-per-message";
import { verifyDelivery } from "./signature";
import { interpretStandardEvent } from "./standard-events";
import type { WebhookAction } from "./webhook-events";
import type * as routes from "./webhook-intake.routes";
import { findWebhookEndpointSecrets, type WebhookEndpointSecrets } from "./webhooks.repository";
import type { WebhookResult } from "./webhooks.schemas";

const INTERPRETERS = { standard: interpretStandardEvent, clerk: interpretClerkEvent } as const;

/** The current secret, and the previous one while its 24 hours last. */
function verifyingSecrets(endpoint: WebhookEndpointSecrets, now: Date): string[] {
  const secrets = [endpoint.secret];
  const expiresAt = endpoint.previous_secret_expires_at;
  if (endpoint.previous_secret && expiresAt && expiresAt > now.toISOString()) secrets.push(endpoint.previous_secret);
  return secrets;
}

function resultBody(outcome: WebhookOutcome, requestId: string): WebhookResult {
  switch (outcome.status) {
    case "applied":
      return { status: "applied", customer_id: outcome.customerId };
    case "failed":
      return { status: "failed", error: outcome.error.toProblem(requestId) as WebhookResult["error"] };
    default:
      return { status: outcome.status };
  }
}

export const receiveWebhook: AppRouteHandler<typeof routes.receiveWebhook> = async (c) => {
  const endpoint = await findWebhookEndpointSecrets(c.env.DB, c.req.valid("param").endpoint_id);
  if (!endpoint) throw new ApiError("not_found", "No webhook endpoint with this id (it may have been deleted).");
  // For the request log line: which tenant this delivery was for.
  c.set("orgId", endpoint.org_id);

  // Nothing about the request is trusted, and nothing is written, until this passes.
  const now = new Date();
  const delivery = await verifyDelivery(c.req.raw.headers, c.get("rawBody"), verifyingSecrets(endpoint, now), now);

  const action: WebhookAction = INTERPRETERS[endpoint.source](c.req.valid("json"), delivery.sentAt);
  const background = inBackground(c);
  const processed = await oncePerMessage(c.env.DB, endpoint.id, delivery.messageId, () =>
    applyWebhookAction(
      { db: c.get("db"), kv: c.env.KV, orgId: endpoint.org_id, background, settings: c.env, events: requestOutbox(c) },
      action,
    ),
  );

  const result: WebhookResult = processed ? resultBody(processed.value, c.get("requestId")) : { status: "duplicate" };
  if (c.env.LOG_REQUESTS !== "false") {
    // The action's kind and the outcome only: event types, ids and payloads are the sender's data.
    logInfo("webhook", {
      request_id: c.get("requestId"),
      endpoint_id: endpoint.id,
      action: action.kind,
      status: result.status,
      error_code: result.error?.code,
    });
  }
  return c.json(result, 200);
};
