import { forgetRevokedKey } from "../auth/api-key-cache";
import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { followUp } from "../lib/follow-up";
import * as repo from "./api-keys.repository";

/** Every key of the organization, revoked ones included (newest first). */
export const listKeys = (db: Db, orgId: string) => repo.listApiKeys(db, orgId);

/** A new key for the organization, unless it already has the maximum of live keys (409). */
export async function createKey(db: Db, orgId: string, name: string | null, now: string): Promise<repo.NewApiKey> {
  const key = await repo.mintApiKey(orgId, name, now);
  if (!(await repo.insertApiKeyWithinLimit(db, key))) {
    throw new ApiError(
      "api_key_limit_reached",
      `This organization already has ${repo.MAX_LIVE_API_KEYS_PER_ORGANIZATION} live API keys; revoke one first.`,
    );
  }
  return key;
}

const keyNotFound = () => new ApiError("not_found", "No API key with this id in this organization.");

/**
 * Revokes the key. Once D1 has the revocation the answer is its success: dropping the key from
 * this location's cache (the Cache API) is follow-up work (`followUp`: tried before answering,
 * so in the usual case this location refuses the key from the response on; retried in the
 * background if the cache fails). This isolate refuses the key at once either way, and every
 * other tier within the 60 s bound (auth/api-key-cache.ts), which never rests on the delete.
 */
export async function revokeKey(db: Db, orgId: string, id: string, now: string, background: Background) {
  const revoked = await repo.revokeApiKey(db, orgId, id, now);
  const row = revoked?.row;
  if (!revoked || !row?.revoked_at) throw keyNotFound();
  await followUp(background, () => forgetRevokedKey(revoked.keyHash));
  return { ...row, revoked_at: row.revoked_at };
}
