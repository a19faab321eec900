import { createMiddleware } from "hono/factory";
import { findActiveKey } from "../api-keys/api-key-cache";
import { inBackground } from "../lib/background";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";

const BEARER = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i;

function unauthorized(detail: string) {
  return new ApiError("unauthorized", detail, { headers: { "WWW-Authenticate": 'Bearer realm="roster"' } });
}

function bearerToken(header: string | undefined): string {
  const match = header ? BEARER.exec(header.trim()) : null;
  if (!match?.[1]) throw unauthorized("Send Authorization: Bearer <api key>.");
  return match[1];
}

/**
 * Resolves the API key to its organization; every tenant-scoped route runs behind it. Live keys
 * come from this location's cache when they can (api-key-cache.ts: revocation stays at once
 * here, within 60 s elsewhere), else from D1.
 */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const secret = bearerToken(c.req.header("Authorization"));
  const key = await findActiveKey(c.env.DB, await sha256Hex(secret), inBackground(c, "API-key cache fill"));
  if (!key) throw unauthorized("The API key is unknown or revoked.");
  c.set("orgId", key.org_id);
  c.set("apiKeyId", key.id);
  await next();
});

/** Admin routes: the ADMIN_TOKEN secret. With no token configured, nothing gets in. */
export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const secret = bearerToken(c.req.header("Authorization"));
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || !(await timingSafeEqualStrings(secret, expected))) {
    throw unauthorized("This route needs the deployment's admin token.");
  }
  await next();
});
