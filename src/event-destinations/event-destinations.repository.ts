import type { Db } from "../lib/db";
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

/**
 * Inserts the destination unless the organization already has the maximum: the count and the
 * insert are one statement, so concurrent creates cannot overshoot. Null when at the limit.
 */
export async function insertDestination(db: Db, destination: NewDestination): Promise<DestinationRow | null> {
  return db
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
    )
    .first<DestinationRow>();
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

/** Applies the fields the patch has; null when this organization has no such destination. */
export async function updateDestination(
  db: Db,
  orgId: string,
  id: string,
  patch: DestinationPatch,
  now: string,
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
  return db
    .prepare(`UPDATE event_destinations SET ${sets.join(", ")} WHERE org_id = ? AND id = ? RETURNING ${PUBLIC_COLUMNS}`)
    .bind(...values, orgId, id)
    .first<DestinationRow>();
}

/** Deletes the destination and its deliveries in one batch; false when there was none. */
export async function deleteDestination(db: Db, orgId: string, id: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db.prepare("DELETE FROM event_deliveries WHERE org_id = ?1 AND destination_id = ?2").bind(orgId, id),
    db.prepare("DELETE FROM event_destinations WHERE org_id = ?1 AND id = ?2").bind(orgId, id),
  ]);
  return (deleted?.meta.changes ?? 0) > 0;
}

/** Makes `newSecret` current; the replaced one keeps signing until `previousExpiresAt`. */
export async function rotateDestinationSecret(
  db: Db,
  orgId: string,
  id: string,
  newSecret: string,
  previousExpiresAt: string,
  now: string,
): Promise<DestinationRow | null> {
  return db
    .prepare(
      `UPDATE event_destinations
         SET previous_secret = secret, previous_secret_expires_at = ?4, secret = ?3, updated_at = ?5
       WHERE org_id = ?1 AND id = ?2
       RETURNING ${PUBLIC_COLUMNS}`,
    )
    .bind(orgId, id, newSecret, previousExpiresAt, now)
    .first<DestinationRow>();
}
