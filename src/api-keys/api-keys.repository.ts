import { changesOf, firstRowOf, runBatch } from "../lib/batch";
import { sha256Hex } from "../lib/crypto";
import type { Db } from "../lib/db";
import { newId, randomToken } from "../lib/ids";
import type { SqlGuard } from "../lib/sql-guard";

export type ApiKeyRow = {
  id: string;
  org_id: string;
  name: string | null;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
};

export type NewApiKey = { row: ApiKeyRow; secret: string; keyHash: string };

const KEY_COLUMNS = "id, org_id, name, prefix, created_at, revoked_at";

/** A fresh secret and the row that stores only its hash. Nothing is written yet. */
export async function mintApiKey(orgId: string, name: string | null, now: string): Promise<NewApiKey> {
  const secret = `rk_${randomToken(40)}`;
  return {
    secret,
    keyHash: await sha256Hex(secret),
    row: { id: newId("key"), org_id: orgId, name, prefix: secret.slice(0, 7), created_at: now, revoked_at: null },
  };
}

export function insertApiKeyStatement(db: Db, key: NewApiKey): D1PreparedStatement {
  const { row } = key;
  return db
    .prepare("INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
    .bind(row.id, row.org_id, row.name, key.keyHash, row.prefix, row.created_at);
}

/** At most this many live (not revoked) API keys per organization (spec §7). */
export const MAX_LIVE_API_KEYS_PER_ORGANIZATION = 100;

/**
 * Inserts the key unless the organization already has the maximum of live keys: the count and
 * the insert are one statement, so concurrent creates cannot overshoot. `after` (its kept
 * answer, guarded by `apiKeyExists`) rides in the same batch. False when at the limit.
 */
export async function insertApiKeyWithinLimit(
  db: Db,
  key: NewApiKey,
  after: D1PreparedStatement[] = [],
): Promise<boolean> {
  const { row } = key;
  const insert = db
    .prepare(
      `INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6
       WHERE (SELECT COUNT(*) FROM api_keys WHERE org_id = ?2 AND revoked_at IS NULL) < ?7`,
    )
    .bind(row.id, row.org_id, row.name, key.keyHash, row.prefix, row.created_at, MAX_LIVE_API_KEYS_PER_ORGANIZATION);
  return changesOf(await runBatch(db, [insert, ...after]), insert) > 0;
}

/** The key exists (a fresh id: exactly when its insert committed). */
export const apiKeyExists = (orgId: string, id: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM api_keys WHERE org_id = ? AND id = ?)",
  params: [orgId, id],
});

/** The key was revoked at `now` (exactly when the revocation made at `now` committed). */
export const revokedAt = (orgId: string, id: string, now: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM api_keys WHERE org_id = ? AND id = ? AND revoked_at = ?)",
  params: [orgId, id, now],
});

/** What authentication needs of a live key. */
export async function listApiKeys(db: Db, orgId: string): Promise<ApiKeyRow[]> {
  const { results } = await db
    .prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE org_id = ?1 ORDER BY created_at DESC, id DESC`)
    .bind(orgId)
    .all<ApiKeyRow>();
  return results;
}

/**
 * Revokes the key if it is live; returns the key as it now is (with its hash, so caches can
 * forget it), or null if it is not this org's.
 */
export async function revokeApiKey(
  db: Db,
  orgId: string,
  id: string,
  now: string,
  after: D1PreparedStatement[] = [],
): Promise<{ row: ApiKeyRow; keyHash: string } | null> {
  const current = db
    .prepare(`SELECT ${KEY_COLUMNS}, key_hash FROM api_keys WHERE org_id = ?1 AND id = ?2`)
    .bind(orgId, id);
  const written = await runBatch(db, [
    db
      .prepare("UPDATE api_keys SET revoked_at = ?3 WHERE org_id = ?1 AND id = ?2 AND revoked_at IS NULL")
      .bind(orgId, id, now),
    current,
    ...after,
  ]);
  const stored = firstRowOf<ApiKeyRow & { key_hash: string }>(written, current);
  if (!stored) return null;
  const { key_hash: keyHash, ...row } = stored;
  return { row, keyHash };
}
