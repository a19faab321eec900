import { changesOf, firstRowOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { clearExpiredPreviousSecretsIn, type RotatingSecret, rotateSecretStatement } from "../lib/previous-secrets";
import type { SqlGuard } from "../lib/sql-guard";
import { StorageUnavailable } from "../lib/storage-errors";
/** Every SQL statement of webhook endpoints and webhook intake. */

export type WebhookSource = "standard" | "clerk";

/** An endpoint as its owner sees it: the secret only as its last characters. */
export type WebhookEndpointRow = {
  id: string;
  org_id: string;
  source: WebhookSource;
  description: string | null;
  secret_last4: string;
  previous_secret_expires_at: string | null;
  created_at: string;
};

/** What intake needs to verify a delivery: the secrets themselves. */
export type WebhookEndpointSecrets = RotatingSecret & {
  id: string;
  org_id: string;
  source: WebhookSource;
};

// The full secret never leaves the database on these paths, only its tail for the mask.
const PUBLIC_COLUMNS =
  "id, org_id, source, description, substr(secret, -4) AS secret_last4, previous_secret_expires_at, created_at";

/** The row an endpoint created with `secret` has (what the insert's RETURNING gives). */
export const newWebhookEndpointRow = (
  endpoint: { id: string; orgId: string; source: WebhookSource; description: string | null; createdAt: string },
  secret: string,
): WebhookEndpointRow => ({
  id: endpoint.id,
  org_id: endpoint.orgId,
  source: endpoint.source,
  description: endpoint.description,
  secret_last4: secret.slice(-4),
  previous_secret_expires_at: null,
  created_at: endpoint.createdAt,
});

/** The endpoint exists (a fresh id: exactly when its insert committed; before a delete: exactly when it will land). */
export const endpointExists = (orgId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM webhook_endpoints WHERE org_id = ? AND id = ?)",
  params: [orgId, id],
});

/** Inserts the endpoint, with `after` (its kept answer) in the same batch. */
export async function insertWebhookEndpoint(
  db: Db,
  endpoint: { id: string; orgId: string; source: WebhookSource; description: string | null; createdAt: string },
  secret: string,
  after: D1PreparedStatement[] = [],
): Promise<WebhookEndpointRow> {
  const insert = db
    .prepare(
      `INSERT INTO webhook_endpoints (id, org_id, source, description, secret, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       RETURNING ${PUBLIC_COLUMNS}`,
    )
    .bind(endpoint.id, endpoint.orgId, endpoint.source, endpoint.description, secret, endpoint.createdAt);
  const row = firstRowOf<WebhookEndpointRow>(await runBatch(db, [insert, ...after]), insert);
  if (!row) throw new StorageUnavailable("INSERT … RETURNING returned no row");
  return row;
}

export async function listWebhookEndpoints(db: Db, orgId: string): Promise<WebhookEndpointRow[]> {
  const { results } = await db
    .prepare(`SELECT ${PUBLIC_COLUMNS} FROM webhook_endpoints WHERE org_id = ?1 ORDER BY created_at DESC, id DESC`)
    .bind(orgId)
    .all<WebhookEndpointRow>();
  return results;
}

/**
 * Deletes the endpoint and the webhook ids it has seen, in one batch, after `before` (its kept
 * answer, guarded by `endpointExists`). False when this organization has no such endpoint.
 */
export async function deleteWebhookEndpoint(
  db: Db,
  orgId: string,
  id: string,
  before: D1PreparedStatement[] = [],
): Promise<boolean> {
  const remove = db.prepare("DELETE FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2").bind(orgId, id);
  const written = await runBatch(db, [
    ...before,
    db
      .prepare(
        `DELETE FROM webhook_messages WHERE endpoint_id = ?2
           AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2)`,
      )
      .bind(orgId, id),
    remove,
  ]);
  return changesOf(written, remove) > 0;
}

/** The endpoint's current secret is `secret` (a fresh one: exactly when its rotation committed). */
export const endpointSecretIs = (orgId: string, id: string, secret: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM webhook_endpoints WHERE org_id = ? AND id = ? AND secret = ?)",
  params: [orgId, id, secret],
});

/**
 * Makes `newSecret` current; the secret it replaces verifies until `previousExpiresAt`.
 * Whatever was previous before is dropped. `after` (its kept answer) rides in the same batch.
 * Null when this organization has no such endpoint.
 */
export async function rotateWebhookEndpointSecret(
  db: Db,
  orgId: string,
  id: string,
  newSecret: string,
  previousExpiresAt: string,
  after: D1PreparedStatement[] = [],
): Promise<WebhookEndpointRow | null> {
  const rotate = rotateSecretStatement(
    db,
    "webhook_endpoints",
    { orgId, id },
    { secret: newSecret, expiresAt: previousExpiresAt },
    PUBLIC_COLUMNS,
  );
  return firstRowOf<WebhookEndpointRow>(await runBatch(db, [rotate, ...after]), rotate);
}

/** An endpoint as its owner sees it, or null when this organization has none with this id. */
export async function findWebhookEndpoint(db: Db, orgId: string, id: string): Promise<WebhookEndpointRow | null> {
  return db
    .prepare(`SELECT ${PUBLIC_COLUMNS} FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2`)
    .bind(orgId, id)
    .first<WebhookEndpointRow>();
}

/** Intake is not tenant-authenticated: the endpoint id alone finds the endpoint. */
export async function findWebhookEndpointSecrets(db: Db, id: string): Promise<WebhookEndpointSecrets | null> {
  return db
    .prepare(
      `SELECT id, org_id, source, secret, previous_secret, previous_secret_expires_at
       FROM webhook_endpoints WHERE id = ?1`,
    )
    .bind(id)
    .first<WebhookEndpointSecrets>();
}

export type MessageClaim = { endpointId: string; messageId: string; token: string };

/**
 * Claims a webhook id for processing: true if this delivery may apply the event. The
 * primary key decides between concurrent deliveries (never a prior SELECT). A claim still
 * 'processing' from before `abandonedBefore` belonged to a Worker that died; it is taken over.
 */
export async function claimWebhookMessage(
  db: Db,
  claim: MessageClaim,
  now: string,
  abandonedBefore: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
       VALUES (?1, ?2, 'processing', ?3, ?4, ?4)
       ON CONFLICT (endpoint_id, message_id) DO UPDATE
         SET claim_token = excluded.claim_token, claimed_at = excluded.claimed_at
         WHERE webhook_messages.state = 'processing' AND webhook_messages.claimed_at < ?5`,
    )
    .bind(claim.endpointId, claim.messageId, claim.token, now, abandonedBefore)
    .run();
  return result.meta.changes > 0;
}

/** Where a webhook id stands: 'processing', 'processed', or null when no delivery holds it. */
export async function findWebhookMessageState(
  db: Db,
  endpointId: string,
  messageId: string,
): Promise<"processing" | "processed" | null> {
  const row = await db
    .prepare("SELECT state FROM webhook_messages WHERE endpoint_id = ?1 AND message_id = ?2")
    .bind(endpointId, messageId)
    .first<{ state: "processing" | "processed" }>();
  return row?.state ?? null;
}

/**
 * Records the claimed webhook id as processed, with the delivery's `result` (its 200 body), where
 * `committed` (if given) holds: redeliveries are duplicates from now on. For the batch that
 * applies the event, or on its own for an outcome that changed nothing.
 */
export function completeWebhookMessageStatement(
  db: Db,
  claim: MessageClaim,
  now: string,
  result: string,
  committed: SqlGuard | null = null,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE webhook_messages SET state = 'processed', processed_at = ?4, result = ?5
       WHERE endpoint_id = ?1 AND message_id = ?2 AND claim_token = ?3 AND state = 'processing'
         ${committed ? `AND (${committed.sql})` : ""}`,
    )
    .bind(claim.endpointId, claim.messageId, claim.token, now, result, ...(committed?.params ?? []));
}

/**
 * For the batch that applies the event: fails it (a NOT NULL violation on the always-empty
 * `lock_lost`, migrations/0012) unless the claim is still this delivery's, so a delivery whose
 * claim was taken over never applies the event beside its successor.
 */
export function assertClaimHeldStatement(db: Db, claim: MessageClaim): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO lock_lost (lock_token)
       SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM webhook_messages
         WHERE endpoint_id = ?1 AND message_id = ?2 AND claim_token = ?3 AND state = 'processing')`,
    )
    .bind(claim.endpointId, claim.messageId, claim.token);
}

/** Gives the claim up, so the sender's retry can apply the event. */
export async function releaseWebhookMessage(db: Db, claim: MessageClaim): Promise<void> {
  await db
    .prepare(
      `DELETE FROM webhook_messages
       WHERE endpoint_id = ?1 AND message_id = ?2 AND claim_token = ?3 AND state = 'processing'`,
    )
    .bind(claim.endpointId, claim.messageId, claim.token)
    .run();
}

/** Forgets up to `limit` webhook ids first received before `cutoff`; returns how many. */
export async function deleteWebhookMessagesReceivedBefore(db: Db, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM webhook_messages
       WHERE rowid IN (SELECT rowid FROM webhook_messages WHERE received_at < ?1 LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return result.meta.changes;
}

/** How many webhook ids were first received before `cutoff` (the cleanup's backlog). */
export async function countWebhookMessagesReceivedBefore(db: Db, cutoff: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM webhook_messages WHERE received_at < ?1")
    .bind(cutoff)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Drops previous secrets that no longer verify anyway; returns how many. */
export const clearExpiredPreviousSecrets = (db: Db, now: string) =>
  clearExpiredPreviousSecretsIn(db, "webhook_endpoints", now);
