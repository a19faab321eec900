import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { newId } from "../lib/ids";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody, listBody } from "../lib/lists";
import { forgetLiveCredential, liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import { previousSecretExpiresAt } from "../lib/previous-secrets";
import type { AppRouteHandler } from "../lib/types";
import { requireAlternativeIdHashKey } from "./configuration";
import { forgetEndpointSecrets } from "./endpoint-secrets-cache";
import { maskedSecret, newSigningSecret } from "./secrets";
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

// The answers of the endpoint writes, as values: each is kept with its change (lib/kept-answer.ts).
const issued = (secret: string) => (row: repo.WebhookEndpointRow) => ({
  status: 200 as const,
  body: toWebhookEndpointObject(row, secret),
});
const created = (secret: string) => (row: repo.WebhookEndpointRow) => ({
  ...issued(secret)(row),
  status: 201 as const,
});
const deleted = (id: string) => ({ status: 200 as const, body: deletedBody("webhook_endpoint", id) });

export const createWebhookEndpoint: AppRouteHandler<typeof routes.createWebhookEndpoint> = async (c) => {
  requireAlternativeIdHashKey(c.env);
  const { source, description, secret = newSigningSecret() } = c.req.valid("json");
  const orgId = c.get("orgId");
  const endpoint = { id: newId("we"), orgId, source, description: description ?? null, createdAt: nowIso() };
  const present = created(secret);
  const predicted = repo.newWebhookEndpointRow(endpoint, secret);
  const keep = keepAnswer(c, present)(predicted, repo.endpointExists(orgId, endpoint.id));
  const row = await repo.insertWebhookEndpoint(c.get("db"), endpoint, secret, keep);
  forgetEndpointSecrets(row.id);
  // So a signed delivery passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(inBackground(c, "live-credential record"), () =>
    rememberLiveCredential(c.env.KV, liveCredential.webhookEndpoint(row.id)),
  );
  const answer = present(row);
  return c.json(answer.body, answer.status);
};

export const listWebhookEndpoints: AppRouteHandler<typeof routes.listWebhookEndpoints> = async (c) => {
  const rows = await repo.listWebhookEndpoints(c.get("db"), c.get("orgId"));
  return c.json(listBody(rows.map((row) => toWebhookEndpointObject(row))), 200);
};

export const deleteWebhookEndpoint: AppRouteHandler<typeof routes.deleteWebhookEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  const orgId = c.get("orgId");
  const keep = keepAnswer(c, deleted)(id, repo.endpointExists(orgId, id));
  if (!(await repo.deleteWebhookEndpoint(c.get("db"), orgId, id, keep))) throw endpointNotFound();
  forgetEndpointSecrets(id);
  await followUp(inBackground(c, "live-credential record"), () =>
    forgetLiveCredential(c.env.KV, liveCredential.webhookEndpoint(id)),
  );
  const answer = deleted(id);
  return c.json(answer.body, answer.status);
};

export const rotateWebhookEndpointSecret: AppRouteHandler<typeof routes.rotateWebhookEndpointSecret> = async (c) => {
  const { id } = c.req.valid("param");
  const { secret = newSigningSecret() } = c.req.valid("json");
  const previousExpiresAt = previousSecretExpiresAt(Date.now());
  const orgId = c.get("orgId");
  // Read first: the kept answer is built from the row the rotation leaves.
  const current = await repo.findWebhookEndpoint(c.get("db"), orgId, id);
  if (!current) throw endpointNotFound();
  const present = issued(secret);
  const rotated = { ...current, secret_last4: secret.slice(-4), previous_secret_expires_at: previousExpiresAt };
  const keep = keepAnswer(c, present)(rotated, repo.endpointSecretIs(orgId, id, secret));
  const row = await repo.rotateWebhookEndpointSecret(c.get("db"), orgId, id, secret, previousExpiresAt, keep);
  if (!row) throw endpointNotFound();
  forgetEndpointSecrets(id);
  const answer = present(row);
  return c.json(answer.body, answer.status);
};
