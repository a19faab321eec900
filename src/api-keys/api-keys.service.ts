import { forgetRevokedKey } from "../auth/api-key-cache";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import * as repo from "./api-keys.repository";

/** API-key behaviour, whoever asks: the `/v1/api_keys` routes and the console. */

export const toApiKeyObject = (row: repo.ApiKeyRow) => ({
  object: "api_key" as const,
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  created_at: row.created_at,
  revoked_at: row.revoked_at,
});

export const listKeys = async (db: Db, orgId: string) => (await repo.listApiKeys(db, orgId)).map(toApiKeyObject);

/** A new key: its object and, this once, its secret (only the hash is stored). */
export async function createKey(db: Db, orgId: string, name: string | null) {
  const key = await repo.mintApiKey(orgId, name, nowIso());
  await repo.insertApiKey(db, key);
  return { ...toApiKeyObject(key.row), secret: key.secret };
}

/** Revokes the key; this location stops accepting it before this returns, every other within 60 s. */
export async function revokeKey(db: Db, orgId: string, id: string) {
  const revoked = await repo.revokeApiKey(db, orgId, id, nowIso());
  const row = revoked?.row;
  if (!revoked || !row?.revoked_at) throw new ApiError("not_found", "No API key with this id in this organization.");
  await forgetRevokedKey(revoked.keyHash);
  return { object: "api_key" as const, id: row.id, revoked: true as const, revoked_at: row.revoked_at };
}
