import { forgetRevokedKey } from "../auth/api-key-cache";
import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { followUp } from "../lib/follow-up";
import * as repo from "./api-keys.repository";

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
