import type { Db } from "./db";

/**
 * Signing secrets rotate with a grace period: the replaced secret stays in `previous_secret`
 * until `previous_secret_expires_at` and is ignored after it. These are the tables that keep
 * one; a table name reaches the SQL below only through this type, never from input.
 */
export type TableWithPreviousSecret = "event_destinations" | "webhook_endpoints";

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
