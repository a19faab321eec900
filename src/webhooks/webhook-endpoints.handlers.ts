import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { newId } from "../lib/ids";
import { deletedBody, listBody } from "../lib/lists";
import { forgetLiveCredential, liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import type { AppRouteHandler } from "../lib/types";
import { requireAlternativeIdHashKey } from "./configuration";
import { forgetEndpointSecrets } from "./endpoint-secrets-cache";
import { maskedSecret, newSigningSecret, PREVIOUS_SECRET_GRACE_MS } from "./secrets";
import type * as routes from "./webhook-endpoints.routes";
import * as repo from "./webhooks.repository";

const endpointNotFound = () => new ApiError("not_found", "No webhook endpoint with this id in this organization.");

/** The endpoint object; `secret` is the full secret where one was just issued, else the mask. */
const toWebhookEndpointObject = (row: repo.WebhookEndpointRow, secret = maskedSecret(row.secret_last4)) => ({
  object: "webhook_endpoint" as const,
  id: row.id,
  url: `/v1/webhooks/${row.id}`,
  secret,
  source: row.source,
  description: row.description,
  previous_secret_expires_at: row.previous_secret_expires_at,
  created_at: row.created_at,
});

export const createWebhookEndpoint: AppRouteHandler<typeof routes.createWebhookEndpoint> = async (c) => {
  requireAlternativeIdHashKey(c.env);
  const { source, description, secret = newSigningSecret() } = c.req.valid("json");
  const row = await repo.insertWebhookEndpoint(
    c.get("db"),
    { id: newId("we"), orgId: c.get("orgId"), source, description: description ?? null, createdAt: nowIso() },
    secret,
  );
  forgetEndpointSecrets(row.id);
  // So a signed delivery passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(inBackground(c, "live-credential record"), () =>
    rememberLiveCredential(c.env.KV, liveCredential.webhookEndpoint(row.id)),
  );
  return c.json(toWebhookEndpointObject(row, secret), 201);
};

export const listWebhookEndpoints: AppRouteHandler<typeof routes.listWebhookEndpoints> = async (c) => {
  const rows = await repo.listWebhookEndpoints(c.get("db"), c.get("orgId"));
  return c.json(listBody(rows.map((row) => toWebhookEndpointObject(row))), 200);
};

export const deleteWebhookEndpoint: AppRouteHandler<typeof routes.deleteWebhookEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  if (!(await repo.deleteWebhookEndpoint(c.get("db"), c.get("orgId"), id))) throw endpointNotFound();
  forgetEndpointSecrets(id);
  await followUp(inBackground(c, "live-credential record"), () =>
    forgetLiveCredential(c.env.KV, liveCredential.webhookEndpoint(id)),
  );
  return c.json(deletedBody("webhook_endpoint", id), 200);
};

export const rotateWebhookEndpointSecret: AppRouteHandler<typeof routes.rotateWebhookEndpointSecret> = async (c) => {
  const { id } = c.req.valid("param");
  const { secret = newSigningSecret() } = c.req.valid("json");
  const previousExpiresAt = new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS).toISOString();
  const row = await repo.rotateWebhookEndpointSecret(c.get("db"), c.get("orgId"), id, secret, previousExpiresAt);
  if (!row) throw endpointNotFound();
  forgetEndpointSecrets(id);
  return c.json(toWebhookEndpointObject(row, secret), 200);
};
