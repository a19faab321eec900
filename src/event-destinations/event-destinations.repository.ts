import { changesOf, firstRowOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { rotateSecretStatement } from "../lib/previous-secrets";
import type { SqlGuard } from "../lib/sql-guard";
/** Every SQL statement of event destinations. */

export type DestinationRow = {
  id: string;
  org_id: string;
  url: string;
  /** JSON array of selectors. */
  event_types: string;
  description: string | null;
  status: "enabled" | "disabled";
  disabled_reason: "manual" | "endpoint_gone" | null;
  secret_last4: string;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
};

/** At most this many destinations per organization (spec §10). */
export const MAX_DESTINATIONS_PER_ORGANIZATION = 16;

// The full secret never leaves the database on these paths, only its tail for the mask.
const PUBLIC_COLUMNS = `id, org_id, url, event_types, description, status, disabled_reason,
  substr(secret, -4) AS secret_last4, previous_secret_expires_at, created_at, updated_at`;

export type NewDestination = {
  id: string;
  orgId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  secret: string;
  createdAt: string;
};

/** The row a destination inserted as `destination` has (what the insert's RETURNING gives). */
export const newDestinationRow = (destination: NewDestination): DestinationRow => ({
  id: destination.id,
  org_id: destination.orgId,
  url: destination.url,
  event_types: JSON.stringify(destination.eventTypes),
  description: destination.description,
  status: "enabled",
  disabled_reason: null,
  secret_last4: destination.secret.slice(-4),
  previous_secret_expires_at: null,
  created_at: destination.createdAt,
  updated_at: destination.createdAt,
});

/**
 * The destination is exactly `row` (its public columns, the secret's tail included): after a
 * write, true exactly when that write left it so.
 */
export const destinationIs = (row: DestinationRow): SqlGuard => ({
  sql: `EXISTS (SELECT 1 FROM event_destinations WHERE org_id = ? AND id = ? AND url = ?
    AND event_types = json(?) AND description IS ? AND status = ? AND disabled_reason IS ?
    AND substr(secret, -4) = ? AND previous_secret_expires_at IS ? AND updated_at = ?)`,
  params: [
    row.org_id,
    row.id,
    row.url,
    row.event_types,
    row.description,
    row.status,
    row.disabled_reason,
    row.secret_last4,
    row.previous_secret_expires_at,
    row.updated_at,
  ],
});

/** The destination exists (before its delete: exactly when the delete will land). */
export const destinationExists = (orgId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM event_destinations WHERE org_id = ? AND id = ?)",
  params: [orgId, id],
});

/**
 * Inserts the destination unless the organization already has the maximum: the count and the
 * insert are one statement, so concurrent creates cannot overshoot. `after` (its kept answer)
 * rides in the same batch. Null when at the limit.
 */
export async function insertDestination(
  db: Db,
  destination: NewDestination,
  after: D1PreparedStatement[] = [],
): Promise<DestinationRow | null> {
  const insert = db
    .prepare(
      `INSERT INTO event_destinations (id, org_id, url, event_types, description, secret, created_at, updated_at)
       SELECT ?1, ?2, ?3, json(?4), ?5, ?6, ?7, ?7
       WHERE (SELECT COUNT(*) FROM event_destinations WHERE org_id = ?2) < ?8
       RETURNING ${PUBLIC_COLUMNS}`,
    )
    .bind(
      destination.id,
      destination.orgId,
      destination.url,
      JSON.stringify(destination.eventTypes),
      destination.description,
      destination.secret,
      destination.createdAt,
      MAX_DESTINATIONS_PER_ORGANIZATION,
    );
  return firstRowOf<DestinationRow>(await runBatch(db, [insert, ...after]), insert);
}

/** Newest first; within one millisecond by insertion (rowid): ids are ordered by time, not within a ms. */
export async function listDestinations(db: Db, orgId: string): Promise<DestinationRow[]> {
  const { results } = await db
    .prepare(`SELECT ${PUBLIC_COLUMNS} FROM event_destinations WHERE org_id = ?1 ORDER BY created_at DESC, rowid DESC`)
    .bind(orgId)
    .all<DestinationRow>();
  return results;
}

export async function findDestination(db: Db, orgId: string, id: string): Promise<DestinationRow | null> {
  return db
    .prepare(`SELECT ${PUBLIC_COLUMNS} FROM event_destinations WHERE org_id = ?1 AND id = ?2`)
    .bind(orgId, id)
    .first<DestinationRow>();
}

export type DestinationPatch = {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  status?: "enabled" | "disabled";
};

/** Applies the fields the patch has, with `after` (its kept answer); null when this organization has no such destination. */
export async function updateDestination(
  db: Db,
  orgId: string,
  id: string,
  patch: DestinationPatch,
  now: string,
  after: D1PreparedStatement[] = [],
): Promise<DestinationRow | null> {
  const sets = ["updated_at = ?"];
  const values: unknown[] = [now];
  const set = (assignment: string, ...bound: unknown[]) => {
    sets.push(assignment);
    values.push(...bound);
  };
  if (patch.url !== undefined) set("url = ?", patch.url);
  if (patch.eventTypes !== undefined) set("event_types = json(?)", JSON.stringify(patch.eventTypes));
  if (patch.description !== undefined) set("description = ?", patch.description);
  // Enabling clears the reason; disabling through the API records it (unless already disabled).
  if (patch.status === "enabled") set("status = 'enabled', disabled_reason = NULL");
  if (patch.status === "disabled") {
    set("disabled_reason = CASE WHEN status = 'disabled' THEN disabled_reason ELSE 'manual' END, status = 'disabled'");
  }
  const update = db
    .prepare(`UPDATE event_destinations SET ${sets.join(", ")} WHERE org_id = ? AND id = ? RETURNING ${PUBLIC_COLUMNS}`)
    .bind(...values, orgId, id);
  return firstRowOf<DestinationRow>(await runBatch(db, [update, ...after]), update);
}

/**
 * Deletes the destination after `before` (its kept answer, guarded by `destinationExists`), and
 * records it in `deleted_event_destinations` in the same batch (only if it existed: the insert
 * reads the row the delete removes). Its deliveries stay: deleting them all here would hold D1
 * for as long as the destination's history is long (spec section 7); the housekeeping purges
 * them in short batches (`purgeDeletedDestinationsDeliveries`). False when there was none.
 */
export async function deleteDestination(
  db: Db,
  orgId: string,
  id: string,
  now: string,
  before: D1PreparedStatement[] = [],
): Promise<boolean> {
  const remove = db.prepare("DELETE FROM event_destinations WHERE org_id = ?1 AND id = ?2").bind(orgId, id);
  const written = await runBatch(db, [
    ...before,
    db
      .prepare(
        `INSERT INTO deleted_event_destinations (org_id, destination_id, deleted_at)
         SELECT org_id, id, ?3 FROM event_destinations WHERE org_id = ?1 AND id = ?2`,
      )
      .bind(orgId, id, now),
    remove,
  ]);
  return changesOf(written, remove) > 0;
}

/**
 * The oldest `?1` recorded deletions, in deletion order. Bounding the records a batch visits by
 * the batch's own size keeps every statement below short, however long the backlog.
 */
const OLDEST_DELETED = "SELECT seq, org_id, destination_id FROM deleted_event_destinations ORDER BY seq LIMIT ?1";

/**
 * One purge batch, atomic: deletes up to `limit` deliveries of the oldest `limit` deleted
 * destinations, each destination's rows found through `event_deliveries_by_destination`
 * (`CROSS JOIN` keeps the records outside, so no statement walks `event_deliveries`), then drops
 * the records of those destinations with no delivery left. Returns the rows it deleted, records
 * included: fewer than `limit` only when no record is left (a batch short of deliveries dropped
 * every record it visited, and it visited fewer than `limit`), as `purgeInBatches` expects.
 * Across organizations on purpose: the records name each row's organization, and the deliveries
 * of a deleted destination belong to no request.
 *
 * Why a record of each deletion rather than finding orphans in `event_deliveries` itself: the
 * anti-join "deliveries whose (org_id, destination_id) has no destination" is a SCAN of the whole
 * table per batch (EXPLAIN QUERY PLAN), however few orphans there are; listing the distinct pairs
 * first (a skip-scan of the index) still costs every live destination of every organization on
 * every run. The record makes a run cost what it deletes (test/destination-purge.test.ts pins
 * the rows read).
 */
export async function purgeDeletedDestinationsDeliveries(db: Db, limit: number): Promise<number> {
  const deliveries = db
    .prepare(
      `DELETE FROM event_deliveries WHERE seq IN (
         SELECT v.seq FROM (${OLDEST_DELETED}) AS t
         CROSS JOIN event_deliveries v ON v.org_id = t.org_id AND v.destination_id = t.destination_id
         LIMIT ?1)`,
    )
    .bind(limit);
  const records = db
    .prepare(
      `DELETE FROM deleted_event_destinations WHERE seq IN (
         SELECT t.seq FROM (${OLDEST_DELETED}) AS t
         WHERE NOT EXISTS (SELECT 1 FROM event_deliveries v WHERE v.org_id = t.org_id AND v.destination_id = t.destination_id))`,
    )
    .bind(limit);
  const written = await runBatch(db, [deliveries, records]);
  return changesOf(written, deliveries) + changesOf(written, records);
}

/** What the purge has left: deliveries of deleted destinations, and their records. */
export async function countDeletedDestinationsRows(db: Db): Promise<number> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM deleted_event_destinations)
         + (SELECT COUNT(*) FROM deleted_event_destinations t
            CROSS JOIN event_deliveries v ON v.org_id = t.org_id AND v.destination_id = t.destination_id) AS due`,
    )
    .first<{ due: number }>();
  return row?.due ?? 0;
}

/** Makes `newSecret` current; the replaced one keeps signing until `previousExpiresAt`. */
export async function rotateDestinationSecret(
  db: Db,
  orgId: string,
  id: string,
  newSecret: string,
  previousExpiresAt: string,
  now: string,
  after: D1PreparedStatement[] = [],
): Promise<DestinationRow | null> {
  const rotate = rotateSecretStatement(
    db,
    "event_destinations",
    { orgId, id },
    { secret: newSecret, expiresAt: previousExpiresAt },
    PUBLIC_COLUMNS,
    [{ column: "updated_at", value: now }],
  );
  return firstRowOf<DestinationRow>(await runBatch(db, [rotate, ...after]), rotate);
}
