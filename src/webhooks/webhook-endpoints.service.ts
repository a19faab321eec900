import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { previousSecretExpiresAt } from "../lib/previous-secrets";
import { forgetEndpointSecrets } from "./endpoint-secrets-cache";
import * as repo from "./webhooks.repository";

/**
 * Webhook endpoint changes: each keeps its answer in its own batch (`keep`, lib/kept-answer.ts)
 * and drops this isolate's memo of the endpoint's secrets. The live-credential record in KV is
 * the handler's follow-up (it needs the request).
 */

export type { WebhookEndpointRow, WebhookSource } from "./webhooks.repository";

export const endpointNotFound = () =>
  new ApiError("not_found", "No webhook endpoint with this id in this organization.");

/** A new endpoint signing with `secret`. */
export async function create(
  db: Db,
  orgId: string,
  fields: { source: repo.WebhookSource; description: string | null; secret: string },
  keep: KeepAnswer<repo.WebhookEndpointRow> = keepNothing,
): Promise<repo.WebhookEndpointRow> {
  const endpoint = {
    id: newId("we"),
    orgId,
    source: fields.source,
    description: fields.description,
    createdAt: nowIso(),
  };
  const predicted = repo.newWebhookEndpointRow(endpoint, fields.secret);
  const row = await repo.insertWebhookEndpoint(
    db,
    endpoint,
    fields.secret,
    keep(predicted, repo.endpointExists(orgId, endpoint.id)),
  );
  forgetEndpointSecrets(row.id);
  return row;
}

export const list = (db: Db, orgId: string) => repo.listWebhookEndpoints(db, orgId);

/** Deletes the endpoint and its processed webhook ids; 404 when there is none. */
export async function remove(db: Db, orgId: string, id: string, keep: KeepAnswer<string> = keepNothing) {
  if (!(await repo.deleteWebhookEndpoint(db, orgId, id, keep(id, repo.endpointExists(orgId, id))))) {
    throw endpointNotFound();
  }
  forgetEndpointSecrets(id);
}

/** Makes `secret` current; the replaced one keeps verifying for the grace period. */
export async function rotateSecret(
  db: Db,
  orgId: string,
  id: string,
  secret: string,
  keep: KeepAnswer<repo.WebhookEndpointRow> = keepNothing,
): Promise<repo.WebhookEndpointRow> {
  const previousExpiresAt = previousSecretExpiresAt(Date.now());
  // Read first: the kept answer is built from the row the rotation leaves.
  const current = await repo.findWebhookEndpoint(db, orgId, id);
  if (!current) throw endpointNotFound();
  const rotated = { ...current, secret_last4: secret.slice(-4), previous_secret_expires_at: previousExpiresAt };
  const kept = keep(rotated, repo.endpointSecretIs(orgId, id, secret));
  const row = await repo.rotateWebhookEndpointSecret(db, orgId, id, secret, previousExpiresAt, kept);
  if (!row) throw endpointNotFound();
  forgetEndpointSecrets(id);
  return row;
}
