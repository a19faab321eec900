import { forgetRevokedKey } from "../auth/api-key-cache";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { followUp } from "../lib/follow-up";
import { listBody } from "../lib/lists";
import { forgetLiveCredential, liveCredential, rememberLiveCredential } from "../lib/live-credentials";
import type { AppRouteHandler } from "../lib/types";
import * as repo from "./api-keys.repository";
import type * as routes from "./api-keys.routes";

export const toApiKeyObject = (row: repo.ApiKeyRow) => ({
  object: "api_key" as const,
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  created_at: row.created_at,
  revoked_at: row.revoked_at,
});

export const listApiKeys: AppRouteHandler<typeof routes.listApiKeys> = async (c) => {
  const rows = await repo.listApiKeys(c.get("db"), c.get("orgId"));
  return c.json(listBody(rows.map(toApiKeyObject)), 200);
};

export const createApiKey: AppRouteHandler<typeof routes.createApiKey> = async (c) => {
  const { name } = c.req.valid("json");
  const key = await repo.mintApiKey(c.get("orgId"), name ?? null, nowIso());
  await repo.insertApiKey(c.get("db"), key);
  // So the key passes even from an address over its failure budget (lib/live-credentials.ts).
  await followUp(inBackground(c, "live-credential record"), () =>
    rememberLiveCredential(c.env.KV, liveCredential.apiKey(key.keyHash)),
  );
  return c.json({ ...toApiKeyObject(key.row), secret: key.secret }, 201);
};

export const revokeApiKey: AppRouteHandler<typeof routes.revokeApiKey> = async (c) => {
  const { id } = c.req.valid("param");
  const revoked = await repo.revokeApiKey(c.get("db"), c.get("orgId"), id, nowIso());
  const row = revoked?.row;
  if (!revoked || !row?.revoked_at) throw new ApiError("not_found", "No API key with this id in this organization.");
  // Before answering: from here on this location refuses the key (see api-key-cache.ts).
  await forgetRevokedKey(revoked.keyHash);
  await followUp(inBackground(c, "live-credential record"), () =>
    forgetLiveCredential(c.env.KV, liveCredential.apiKey(revoked.keyHash)),
  );
  return c.json({ object: "api_key" as const, id: row.id, revoked: true as const, revoked_at: row.revoked_at }, 200);
};
