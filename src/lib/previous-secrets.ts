import type { Db } from "./db";

/**
 * Signing secrets rotate with a grace period: the replaced secret stays in `previous_secret`
 * until `previous_secret_expires_at` and is ignored after it. This module is that rule, once,
 * for every table that keeps one: when a rotated-out secret expires, which secrets are in force
 * at a moment, the rotation's SQL and the cleanup's. A table name reaches the SQL below only
 * through `TableWithPreviousSecret`, never from input.
 */
export type TableWithPreviousSecret = "event_destinations" | "webhook_endpoints";

/** How long a rotated-out secret keeps working, so the other side can switch without losing events. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** The columns a row with a rotating secret carries. */
export type RotatingSecret = {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
};

/** When a secret rotated out at `now` (ms since the epoch) stops working. */
export const previousSecretExpiresAt = (now: number): string => new Date(now + PREVIOUS_SECRET_GRACE_MS).toISOString();

/** The secrets in force at `now`: the current one, and the previous one until it expires. */
export function secretsInForce(row: RotatingSecret, now: Date): string[] {
  const expiresAt = row.previous_secret_expires_at;
  return row.previous_secret !== null && expiresAt !== null && Date.parse(expiresAt) > now.getTime()
    ? [row.secret, row.previous_secret]
    : [row.secret];
}

/**
 * The rotation of one row's secret: the current secret becomes the previous one until
 * `expiresAt` (whatever was previous before is dropped), `secret` the current one. `also`
 * sets more columns of the same row (bound after the rotation's four values); `returning`
 * is the caller's column list. Matches nothing when the organization has no such row.
 */
export function rotateSecretStatement(
  db: Db,
  table: TableWithPreviousSecret,
  row: { orgId: string; id: string },
  rotation: { secret: string; expiresAt: string },
  returning: string,
  also: { column: string; value: unknown }[] = [],
): D1PreparedStatement {
  const extraSets = also.map(({ column }, index) => `, ${column} = ?${5 + index}`).join("");
  return db
    .prepare(
      `UPDATE ${table}
         SET previous_secret = secret, previous_secret_expires_at = ?4, secret = ?3${extraSets}
       WHERE org_id = ?1 AND id = ?2
       RETURNING ${returning}`,
    )
    .bind(row.orgId, row.id, rotation.secret, rotation.expiresAt, ...also.map(({ value }) => value));
}

/** Erases the previous secrets in `table` whose grace period is over at `now`; returns how many. */
export async function clearExpiredPreviousSecretsIn(
  db: Db,
  table: TableWithPreviousSecret,
  now: string,
): Promise<number> {
  const result = await db
    .prepare(
      `UPDATE ${table} SET previous_secret = NULL, previous_secret_expires_at = NULL
       WHERE previous_secret_expires_at <= ?1`,
    )
    .bind(now)
    .run();
  return result.meta.changes;
}
