import { listBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./api-keys.routes";
import * as service from "./api-keys.service";

export const listApiKeys: AppRouteHandler<typeof routes.listApiKeys> = async (c) =>
  c.json(listBody(await service.listKeys(c.get("db"), c.get("orgId"))), 200);

export const createApiKey: AppRouteHandler<typeof routes.createApiKey> = async (c) => {
  const { name } = c.req.valid("json");
  return c.json(await service.createKey(c.get("db"), c.get("orgId"), name ?? null), 201);
};

// Before answering, this location refuses the revoked key (see auth/api-key-cache.ts).
export const revokeApiKey: AppRouteHandler<typeof routes.revokeApiKey> = async (c) =>
  c.json(await service.revokeKey(c.get("db"), c.get("orgId"), c.req.valid("param").id), 200);
