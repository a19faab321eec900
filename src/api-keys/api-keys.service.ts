import { forgetRevokedKey } from "../auth/api-key-cache";
import type { Background } from "../lib/background";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { forgetLiveCredential, liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import * as repo from "./api-keys.repository";

/** API-key behaviour, whoever asks: the `/v1/api_keys` routes and the console. */

/** What a key change needs: the request's storage and tenant, and a place for follow-up work. */
export type ApiKeyDeps = { db: Db; kv: KVNamespace; orgId: string; background: Background };

export const toApiKeyObject = (row: repo.ApiKeyRow) => ({
  object: "api_key" as const,
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  created_at: row.created_at,
  revoked_at: row.revoked_at,
});

export type CreatedKey = ReturnType<typeof toApiKeyObject> & { secret: string };
export type RevokedKey = { object: "api_key"; id: string; revoked: true; revoked_at: string };

export const listKeys = async (db: Db, orgId: string) => (await repo.listApiKeys(db, orgId)).map(toApiKeyObject);

/**
 * A new key: its object and, this once, its secret (only the hash is stored), unless the
 * organization already has the maximum of live keys (409). The answer is kept with the insert
 * (`keep`), and the key is recorded as live for limited addresses afterwards.
 */
export async function createKey(
  deps: ApiKeyDeps,
  name: string | null,
  keep: KeepAnswer<CreatedKey> = keepNothing,
): Promise<CreatedKey> {
  const key = await repo.mintApiKey(deps.orgId, name, nowIso());
  const created = { ...toApiKeyObject(key.row), secret: key.secret };
  const kept = keep(created, repo.apiKeyExists(deps.orgId, key.row.id));
  if (!(await repo.insertApiKeyWithinLimit(deps.db, key, kept))) {
    throw new ApiError(
      "api_key_limit_reached",
      `This organization already has ${repo.MAX_LIVE_API_KEYS_PER_ORGANIZATION} live API keys; revoke one first.`,
    );
  }
  // So the key passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(deps.background, () => rememberLiveCredential(deps.kv, liveCredential.apiKey(key.keyHash)));
  return created;
}

/**
 * Revokes the key; this location stops accepting it before this returns (retried in the
 * background if the cache fails: the revocation committed, so the answer is its success), every
 * other within 60 s.
 */
export async function revokeKey(
  deps: ApiKeyDeps,
  id: string,
  keep: KeepAnswer<RevokedKey> = keepNothing,
): Promise<RevokedKey> {
  const now = nowIso();
  const predicted: RevokedKey = { object: "api_key", id, revoked: true, revoked_at: now };
  const revoked = await repo.revokeApiKey(
    deps.db,
    deps.orgId,
    id,
    now,
    keep(predicted, repo.revokedAt(deps.orgId, id, now)),
  );
  const row = revoked?.row;
  if (!revoked || !row?.revoked_at) throw new ApiError("not_found", "No API key with this id in this organization.");
  const { keyHash } = revoked;
  await followUp(deps.background, () => forgetRevokedKey(keyHash));
  await followUp(deps.background, () => forgetLiveCredential(deps.kv, liveCredential.apiKey(keyHash)));
  return { object: "api_key", id: row.id, revoked: true, revoked_at: row.revoked_at };
}
