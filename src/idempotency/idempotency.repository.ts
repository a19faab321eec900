import type { Db } from "../lib/db";
import type { SqlExpression, SqlGuard } from "../lib/sql-guard";
import type { PiiSubject } from "./kept-response";

/** An idempotency_keys row as D1 returns it. */
export type IdempotencyKeyRow = {
  org_id: string;
  key_hash: string;
  fingerprint: string;
  state: "running" | "completed";
  lock_token: string;
  locked_at: string;
  expires_at: string;
  completed_at: string | null;
  status: number | null;
  headers: string | null;
  body: string | null;
  customer_id: string | null;
  pii_path: PiiSubject["piiPath"] | null;
  redacted_at: string | null;
};

/** A completed row: the kept response is there. */
export type CompletedKeyRow = IdempotencyKeyRow & {
  state: "completed";
  completed_at: string;
  status: number;
  headers: string;
  body: string;
};

/** A lock as one request takes it. */
export type Lock = {
  orgId: string;
  keyHash: string;
  fingerprint: string;
  token: string;
  lockedAt: string;
  expiresAt: string;
};

const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/** The kept body with each of `fields` of its subject set to null (json_replace adds no field). */
function redacted(body: string, piiPath: string, fields: readonly string[]): string {
  for (const field of fields) if (!FIELD_NAME.test(field)) throw new Error(`not a field name: ${field}`);
  if (fields.length === 0) return body;
  return `json_replace(${body}, ${fields.map((field) => `${piiPath} || '.${field}', NULL`).join(", ")})`;
}

/** Takes the lock if nobody holds this key. False when a row exists (in any state). */
export async function insertLock(db: Db, lock: Lock): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO idempotency_keys (org_id, key_hash, fingerprint, state, lock_token, locked_at, expires_at)
       VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6)
       ON CONFLICT DO NOTHING`,
    )
    .bind(lock.orgId, lock.keyHash, lock.fingerprint, lock.token, lock.lockedAt, lock.expiresAt)
    .run();
  return result.meta.changes === 1;
}

export async function findIdempotencyKey(db: Db, orgId: string, keyHash: string): Promise<IdempotencyKeyRow | null> {
  return db
    .prepare("SELECT * FROM idempotency_keys WHERE org_id = ?1 AND key_hash = ?2")
    .bind(orgId, keyHash)
    .first<IdempotencyKeyRow>();
}

/**
 * Takes over an expired row (a dead lock, or a response past retention) as a new lock. Only
 * one of several concurrent takers matches `staleToken`, so only one wins.
 */
export async function takeOverExpiredKey(db: Db, lock: Lock, staleToken: string): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE idempotency_keys
       SET fingerprint = ?3, state = 'running', lock_token = ?4, locked_at = ?5, expires_at = ?6, completed_at = NULL,
         status = NULL, headers = NULL, body = NULL, customer_id = NULL, pii_path = NULL, redacted_at = NULL
       WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?7 AND expires_at <= ?5`,
    )
    .bind(lock.orgId, lock.keyHash, lock.fingerprint, lock.token, lock.lockedAt, lock.expiresAt, staleToken)
    .run();
  return result.meta.changes === 1;
}

/** A response to keep: status, the kept headers as JSON, the body's text, and whose PII it shows. */
export type KeptRow = {
  status: number;
  headers: string;
  body: string;
  subject: PiiSubject | null;
  /** What an archive erases: nulled here if the subject was archived while the request ran (none: nothing). */
  erasedFields?: readonly string[];
  completedAt: string;
  expiresAt: string;
};

/**
 * Keeps the final response under the lock its owner holds, where `committed` (if given) holds.
 * If the customer it shows was archived while the request ran, the body is kept already
 * redacted (the archive's own redaction ran before this row had a body). RETURNING the row,
 * none when the lock is no longer this owner's (or `committed` does not hold).
 */
export function completeKeyStatement(
  db: Db,
  lock: Pick<Lock, "orgId" | "keyHash" | "token">,
  kept: KeptRow,
  committed: SqlGuard | null = null,
): D1PreparedStatement {
  const archived = `?8 IS NOT NULL AND json_valid(?10)
    AND EXISTS (SELECT 1 FROM customers WHERE org_id = ?1 AND id = ?8 AND archived_at IS NOT NULL)`;
  // Anonymous placeholders after ?10 number on from 11 (SQLite), so the guard's own values follow.
  return db
    .prepare(
      `UPDATE idempotency_keys
       SET state = 'completed', completed_at = ?4, expires_at = ?5, status = ?6, headers = ?7, customer_id = ?8,
         pii_path = ?9,
         body = CASE WHEN ${archived} THEN ${redacted("?10", "?9", kept.erasedFields ?? [])} ELSE ?10 END,
         redacted_at = CASE WHEN ${archived} THEN ?4 ELSE NULL END
       WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?3 AND state = 'running'
         ${committed ? `AND (${committed.sql})` : ""}
       RETURNING *`,
    )
    .bind(
      lock.orgId,
      lock.keyHash,
      lock.token,
      kept.completedAt,
      kept.expiresAt,
      kept.status,
      kept.headers,
      kept.subject?.customerId ?? null,
      kept.subject?.piiPath ?? null,
      kept.body,
      ...(committed?.params ?? []),
    );
}

/**
 * After `completeKeyStatement` in the same batch: replaces the kept body with `body`'s value (an
 * answer only that batch knows, which shows no customer). Acts only if the key was just completed
 * under this lock.
 */
export function keptBodyStatement(
  db: Db,
  lock: Pick<Lock, "orgId" | "keyHash" | "token">,
  body: SqlExpression,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE idempotency_keys SET body = (${body.sql})
       WHERE org_id = ? AND key_hash = ? AND lock_token = ? AND state = 'completed'`,
    )
    .bind(...body.params, lock.orgId, lock.keyHash, lock.token);
}

/** `completeKeyStatement` on its own, for an answer that committed no change. */
export function completeKey(
  db: Db,
  lock: Pick<Lock, "orgId" | "keyHash" | "token">,
  kept: KeptRow,
): Promise<CompletedKeyRow | null> {
  return completeKeyStatement(db, lock, kept).first<CompletedKeyRow>();
}

/**
 * For a change's own batch: fails the whole batch (a NOT NULL violation on the always-empty
 * `lock_lost`, migrations/0012) unless the lock is still this owner's and running,
 * so a request whose lock was taken over never commits beside its successor.
 */
export function assertLockHeldStatement(db: Db, lock: Pick<Lock, "orgId" | "keyHash" | "token">): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO lock_lost (lock_token)
       SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys
         WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?3 AND state = 'running')`,
    )
    .bind(lock.orgId, lock.keyHash, lock.token);
}

/** The row of a key whose lock `token` took, once its answer was kept (by the change's batch or after it). */
export async function findKeptBy(
  db: Db,
  lock: Pick<Lock, "orgId" | "keyHash" | "token">,
): Promise<CompletedKeyRow | null> {
  return db
    .prepare(
      "SELECT * FROM idempotency_keys WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?3 AND state = 'completed'",
    )
    .bind(lock.orgId, lock.keyHash, lock.token)
    .first<CompletedKeyRow>();
}

/**
 * Moves a running lock's expiry to `expiresAt`, if the lock is still this owner's (its request
 * is still running). False when it is not: it was taken over or is gone.
 */
export async function renewLock(
  db: Db,
  lock: Pick<Lock, "orgId" | "keyHash" | "token">,
  expiresAt: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE idempotency_keys SET expires_at = ?4
       WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?3 AND state = 'running'`,
    )
    .bind(lock.orgId, lock.keyHash, lock.token, expiresAt)
    .run();
  return result.meta.changes === 1;
}

/** Gives the key back (the response was not kept), if the lock is still this owner's. */
export async function releaseLock(db: Db, lock: Pick<Lock, "orgId" | "keyHash" | "token">): Promise<void> {
  await db
    .prepare(
      "DELETE FROM idempotency_keys WHERE org_id = ?1 AND key_hash = ?2 AND lock_token = ?3 AND state = 'running'",
    )
    .bind(lock.orgId, lock.keyHash, lock.token)
    .run();
}

/**
 * Part of the archive batch: nulls `fields` (what the archive erases, decided by its caller) in
 * every kept response about the customer, stamping `redactedAt`, when `guard` (the archive
 * committed) holds.
 */
export function redactKeptResponsesStatement(
  db: Db,
  orgId: string,
  customerId: string,
  redaction: { fields: readonly string[]; redactedAt: string; guard: SqlGuard },
): D1PreparedStatement {
  // json_valid: a body SQLite could not parse must never make the archive itself fail.
  return db
    .prepare(
      `UPDATE idempotency_keys SET body = ${redacted("body", "pii_path", redaction.fields)}, redacted_at = ?3
       WHERE org_id = ?1 AND customer_id = ?2 AND state = 'completed' AND json_valid(body)
         AND (${redaction.guard.sql})`,
    )
    .bind(orgId, customerId, redaction.redactedAt, ...redaction.guard.params);
}

/** The key hashes of the customer's kept responses that an archive redacted. */
export async function redactedKeysOf(db: Db, orgId: string, customerId: string): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT key_hash FROM idempotency_keys WHERE org_id = ?1 AND customer_id = ?2 AND redacted_at IS NOT NULL")
    .bind(orgId, customerId)
    .all<{ key_hash: string }>();
  return results.map((row) => row.key_hash);
}

/** Which version of a kept response D1 holds now (a takeover or a redaction changes it). */
export async function findKeptVersion(
  db: Db,
  orgId: string,
  keyHash: string,
): Promise<{ completed_at: string | null; redacted_at: string | null } | null> {
  return db
    .prepare("SELECT completed_at, redacted_at FROM idempotency_keys WHERE org_id = ?1 AND key_hash = ?2")
    .bind(orgId, keyHash)
    .first<{ completed_at: string | null; redacted_at: string | null }>();
}

/** How many idempotency rows are past their time at `now` (the cleanup's backlog). */
export async function countExpiredKeys(db: Db, now: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE expires_at <= ?1")
    .bind(now)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Deletes up to `limit` rows that expired at or before `now`; returns how many it deleted. */
export async function deleteExpiredKeys(db: Db, now: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM idempotency_keys
       WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at <= ?1 LIMIT ?2)`,
    )
    .bind(now, limit)
    .run();
  return result.meta.changes;
}
