import { inBackground, type RequestContext } from "../lib/background";
import { keepAnswer } from "../lib/kept-answer";
import { listBody } from "../lib/lists";
import type { AppRouteHandler } from "../lib/types";
import type * as routes from "./api-keys.routes";
import * as service from "./api-keys.service";

const deps = (c: RequestContext): service.ApiKeyDeps => ({
  db: c.get("db"),
  kv: c.env.KV,
  orgId: c.get("orgId"),
  background: inBackground(c, "API key follow-up"),
});

// The answers of the key writes, as values: each is kept with its change (lib/kept-answer.ts).
const created = (key: service.CreatedKey) => ({ status: 201 as const, body: key });
const revoked = (key: service.RevokedKey) => ({ status: 200 as const, body: key });

export const listApiKeys: AppRouteHandler<typeof routes.listApiKeys> = async (c) =>
  c.json(listBody(await service.listKeys(c.get("db"), c.get("orgId"))), 200);

export const createApiKey: AppRouteHandler<typeof routes.createApiKey> = async (c) => {
  const { name } = c.req.valid("json");
  const answer = created(await service.createKey(deps(c), name ?? null, keepAnswer(c, created)));
  return c.json(answer.body, answer.status);
};

// Before answering, this location refuses the revoked key (see auth/api-key-cache.ts).
export const revokeApiKey: AppRouteHandler<typeof routes.revokeApiKey> = async (c) => {
  const answer = revoked(await service.revokeKey(deps(c), c.req.valid("param").id, keepAnswer(c, revoked)));
  return c.json(answer.body, answer.status);
};
