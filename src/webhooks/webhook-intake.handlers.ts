import { requestOutbox } from "../event-deliveries/outbox";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { countFailure, refuseLimitedAddress, refuseLimitedAddressUnlessLive } from "../lib/failure-limit";
import { confirmLiveCredential, liveCredential } from "../lib/live-credentials";
import { logInfo } from "../lib/logger";
import { secretsInForce } from "../lib/previous-secrets";
import type { AppRouteHandler } from "../lib/types";
import { limitOrganization } from "../middleware/rate-limit";
import { applyWebhookAction, type WebhookOutcome } from "./apply-webhook-action";
import { interpretClerkEvent } from "./clerk-events";
import { requireAlternativeIdHashKey } from "./configuration";
import {
  cachedEndpointSecrets,
  type LoadedEndpoint,
  loadEndpointSecrets,
  type WebhookEndpointSecrets,
} from "./endpoint-secrets-cache";
import { oncePerMessage } from "./once-per-message";
import { type VerifiedDelivery, verifyDelivery } from "./signature";
import { interpretStandardEvent } from "./standard-events";
import type { WebhookAction } from "./webhook-events";
import type * as routes from "./webhook-intake.routes";
import type { WebhookResult } from "./webhooks.schemas";

const INTERPRETERS = { standard: interpretStandardEvent, clerk: interpretClerkEvent } as const;

/** Endpoint ids are `we_` and a ULID: anything else is not looked up. */
const ENDPOINT_ID = /^we_[0-9A-Z]{26}$/;

/** How long a sender should wait while another delivery of the same id is being applied. */
export const IN_PROGRESS_RETRY_AFTER_SECONDS = 5;

type Verified = { endpoint: WebhookEndpointSecrets; delivery: VerifiedDelivery } | { failure: ApiError };

const endpointNotFound = () =>
  new ApiError("not_found", "No webhook endpoint with this id (it may have been deleted).");

function resultBody(outcome: WebhookOutcome, requestId: string): WebhookResult {
  switch (outcome.status) {
    case "applied":
      return { status: "applied", customer_id: outcome.customerId };
    case "failed":
      return { status: "failed", error: outcome.error.toProblem(requestId) };
    default:
      return { status: outcome.status };
  }
}

export const receiveWebhook: AppRouteHandler<typeof routes.receiveWebhook> = async (c) => {
  requireAlternativeIdHashKey(c.env);
  const headers = c.req.raw.headers;
  const refuse = async (error: ApiError) => countFailure(c.env, headers, error);
  const endpointId = c.req.valid("param").endpoint_id;
  if (!ENDPOINT_ID.test(endpointId)) throw await refuse(endpointNotFound());

  // Storage only for an endpoint this isolate has not seen lately. From an address over its
  // failure budget: only for an endpoint the KV record of live credentials names, so a signed
  // delivery to an existing endpoint passes even cold, and never to recheck a signature that
  // did not match the secrets this isolate holds (a guess would cost D1 each time).
  const record = liveCredential.webhookEndpoint(endpointId);
  const load = async (recheck: boolean): Promise<LoadedEndpoint> => {
    if (recheck) refuseLimitedAddress(headers);
    else await refuseLimitedAddressUnlessLive(c.env, headers, record);
    const loaded = await loadEndpointSecrets(c.get("db"), endpointId);
    if (loaded.endpoint) inBackground(c, "live-credential record")(confirmLiveCredential(c.env.KV, record));
    return loaded;
  };
  // Nothing about the request is trusted, and nothing is written, until this passes.
  const now = new Date();
  const verify = async (loaded: LoadedEndpoint): Promise<Verified> => {
    const { endpoint } = loaded;
    if (!endpoint) return { failure: endpointNotFound() };
    try {
      return {
        endpoint,
        delivery: await verifyDelivery(headers, c.get("rawBody"), secretsInForce(endpoint, now), now),
      };
    } catch (error) {
      if (error instanceof ApiError) return { failure: error };
      throw error;
    }
  };
  const cached = cachedEndpointSecrets(endpointId);
  let verified = await verify(cached ?? (await load(false)));
  // Cached secrets may predate a rotation in another isolate: a mismatch asks D1 once more.
  if (cached?.endpoint && "failure" in verified && verified.failure.code === "webhook_signature_invalid") {
    verified = await verify(await load(true));
  }
  if ("failure" in verified) throw await refuse(verified.failure);
  const { endpoint, delivery } = verified;
  // For the request log line: which tenant this delivery was for.
  c.set("orgId", endpoint.org_id);
  // A verified delivery is its organization's traffic (spec §7): past the organization's limit,
  // 429 with nothing recorded, and the sender delivers it again later.
  await limitOrganization(c.env, endpoint.org_id);

  const action: WebhookAction = INTERPRETERS[endpoint.source](c.req.valid("json"), delivery.sentAt);
  const background = inBackground(c);
  const deps = { db: c.get("db"), kv: c.env.KV, orgId: endpoint.org_id, background, settings: c.env };
  const answerOf = (outcome: WebhookOutcome) => ({ status: 200, body: resultBody(outcome, c.get("requestId")) });
  const processed = await oncePerMessage(
    c.get("db"),
    endpoint.id,
    delivery.messageId,
    (keep) =>
      applyWebhookAction({ ...deps, events: requestOutbox(c) }, action, (outcome, committed) =>
        keep(answerOf(outcome), committed),
      ),
    answerOf,
    background,
  );
  if (processed.status === "in_progress") {
    throw new ApiError(
      "webhook_in_progress",
      `Another delivery of this webhook-id is being applied; retry in ${IN_PROGRESS_RETRY_AFTER_SECONDS} seconds.`,
      { headers: { "Retry-After": String(IN_PROGRESS_RETRY_AFTER_SECONDS) } },
    );
  }

  const result: WebhookResult =
    processed.status === "ran" ? resultBody(processed.value, c.get("requestId")) : { status: "duplicate" };
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
