import type { Db } from "../lib/db";

/**
 * Authentication's one query: which live key has this hash. Apart from the api-keys resource
 * (which manages keys) so that the middleware every route runs depends on nothing but lib/.
 */
export type ActiveKey = { id: string; org_id: string };

/** The live key with this hash (read through api-key-cache.ts). */
export async function findActiveKeyByHash(db: Db, keyHash: string): Promise<ActiveKey | null> {
  return db
    .prepare("SELECT id, org_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL")
    .bind(keyHash)
    .first<ActiveKey>();
}
