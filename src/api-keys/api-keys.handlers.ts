import { inBackground } from "../lib/background";
import { nowIso } from "../lib/fields";
import { listBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import type { ApiKeyRow } from "./api-keys.repository";
import type * as routes from "./api-keys.routes";
import * as service from "./api-keys.service";

export const toApiKeyObject = (row: ApiKeyRow) => ({
  object: "api_key" as const,
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  created_at: row.created_at,
  revoked_at: row.revoked_at,
});

export const listApiKeys: AppRouteHandler<typeof routes.listApiKeys> = async (c) => {
  const rows = await service.listKeys(c.get("db"), c.get("orgId"));
  return c.json(listBody(rows.map(toApiKeyObject)), 200);
};

export const createApiKey: AppRouteHandler<typeof routes.createApiKey> = async (c) => {
  const { name } = c.req.valid("json");
  const key = await service.createKey(c.get("db"), c.get("orgId"), name ?? null, nowIso());
  return c.json({ ...toApiKeyObject(key.row), secret: key.secret }, 201);
};

export const revokeApiKey: AppRouteHandler<typeof routes.revokeApiKey> = async (c) => {
  const { id } = c.req.valid("param");
  const background = inBackground(c, "API key revocation follow-up");
  const row = await service.revokeKey(c.get("db"), c.get("orgId"), id, nowIso(), background);
  return c.json({ object: "api_key" as const, id: row.id, revoked: true as const, revoked_at: row.revoked_at }, 200);
};
