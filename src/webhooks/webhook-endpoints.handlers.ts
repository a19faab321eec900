import { inBackground } from "../lib/background";
import { followUp } from "../lib/follow-up";
import { keepAnswer } from "../lib/kept-answer";
import { deletedBody, listBody } from "../lib/lists";
import { forgetLiveCredential, liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import type { AppRouteHandler } from "../lib/types";
import { requireAlternativeIdHashKey } from "./configuration";
import { maskedSecret, newSigningSecret } from "./secrets";
import type * as routes from "./webhook-endpoints.routes";
import * as service from "./webhook-endpoints.service";

/** The endpoint object; `secret` is the full secret where one was just issued, else the mask. */
const toWebhookEndpointObject = (row: service.WebhookEndpointRow, secret = maskedSecret(row.secret_last4)) => ({
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
const issued = (secret: string) => (row: service.WebhookEndpointRow) => ({
  status: 200 as const,
  body: toWebhookEndpointObject(row, secret),
});
const created = (secret: string) => (row: service.WebhookEndpointRow) => ({
  ...issued(secret)(row),
  status: 201 as const,
});
const deleted = (id: string) => ({ status: 200 as const, body: deletedBody("webhook_endpoint", id) });

export const createWebhookEndpoint: AppRouteHandler<typeof routes.createWebhookEndpoint> = async (c) => {
  requireAlternativeIdHashKey(c.env);
  const { source, description, secret = newSigningSecret() } = c.req.valid("json");
  const present = created(secret);
  const row = await service.create(
    c.get("db"),
    c.get("orgId"),
    { source, description: description ?? null, secret },
    keepAnswer(c, present),
  );
  // So a signed delivery passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(inBackground(c, "live-credential record"), () =>
    rememberLiveCredential(c.env.KV, liveCredential.webhookEndpoint(row.id)),
  );
  const answer = present(row);
  return c.json(answer.body, answer.status);
};

export const listWebhookEndpoints: AppRouteHandler<typeof routes.listWebhookEndpoints> = async (c) => {
  const rows = await service.list(c.get("db"), c.get("orgId"));
  return c.json(listBody(rows.map((row) => toWebhookEndpointObject(row))), 200);
};

export const deleteWebhookEndpoint: AppRouteHandler<typeof routes.deleteWebhookEndpoint> = async (c) => {
  const { id } = c.req.valid("param");
  await service.remove(c.get("db"), c.get("orgId"), id, keepAnswer(c, deleted));
  await followUp(inBackground(c, "live-credential record"), () =>
    forgetLiveCredential(c.env.KV, liveCredential.webhookEndpoint(id)),
  );
  const answer = deleted(id);
  return c.json(answer.body, answer.status);
};

export const rotateWebhookEndpointSecret: AppRouteHandler<typeof routes.rotateWebhookEndpointSecret> = async (c) => {
  const { id } = c.req.valid("param");
  const { secret = newSigningSecret() } = c.req.valid("json");
  const present = issued(secret);
  const row = await service.rotateSecret(c.get("db"), c.get("orgId"), id, secret, keepAnswer(c, present));
  const answer = present(row);
  return c.json(answer.body, answer.status);
};
