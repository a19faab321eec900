import { createMiddleware } from "hono/factory";
import { inBackground } from "../lib/background";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { countFailure, refuseLimitedAddressUnlessLive } from "../lib/failure-limit";
import { confirmLiveCredential, liveCredential } from "../lib/live-credentials";
import type { AppEnv } from "../lib/types";
import { findActiveKey } from "./api-key-cache";
import { couldBeApiKey, isKnownUnknownKey, rememberUnknownKey } from "./unknown-keys";

const BEARER = /^Bearer[ ]+([\x21-\x7e]{1,512})$/i;

function unauthorized(detail: string) {
  return new ApiError("unauthorized", detail, { headers: { "WWW-Authenticate": 'Bearer realm="roster"' } });
}

function bearerToken(header: string | undefined): string | null {
  const match = header ? BEARER.exec(header.trim()) : null;
  return match?.[1] ?? null;
}

const MISSING = "Send Authorization: Bearer <api key>.";
const UNKNOWN = "The API key is unknown or revoked.";

/**
 * Resolves the API key to its organization; every tenant-scoped route runs behind it. A token
 * that cannot be a key, or whose hash was just found unknown (unknown-keys.ts), is refused
 * without storage; live keys come from this location's cache when they can (api-key-cache.ts:
 * revocation stays at once here, within 60 s elsewhere), else from D1. Every refusal counts
 * against the client's address (lib/failure-limit.ts).
 */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const headers = c.req.raw.headers;
  const refuse = async (detail: string) => countFailure(c.env, headers, unauthorized(detail));
  const secret = bearerToken(c.req.header("Authorization"));
  if (secret === null) throw await refuse(MISSING);
  if (!couldBeApiKey(secret)) throw await refuse("The bearer token is not a Roster API key (rk_…).");
  const keyHash = await sha256Hex(secret);
  if (isKnownUnknownKey(keyHash)) throw await refuse(UNKNOWN);
  // A key either cache tier knows passes whatever its address did (successes are never limited);
  // from an address over its failure budget, the lookup reads D1 only for a key the KV record of
  // live credentials names (lib/live-credentials.ts), so a valid key passes even cold.
  // The binding itself, outside the request's session: keys are not an organization's data (they
  // say which organization it is), and without a session D1 reads the primary, so a key created
  // a moment ago elsewhere works at once, which a replica may not know yet.
  const record = liveCredential.apiKey(keyHash);
  const key = await findActiveKey(
    c.env.DB,
    keyHash,
    inBackground(c, "API-key cache fill"),
    () => refuseLimitedAddressUnlessLive(c.env, headers, record),
    () => confirmLiveCredential(c.env.KV, record),
  );
  if (!key) {
    rememberUnknownKey(keyHash);
    throw await refuse(UNKNOWN);
  }
  c.set("orgId", key.org_id);
  c.set("apiKeyId", key.id);
  await next();
});

/** Admin routes: the ADMIN_TOKEN secret. With no token configured, nothing gets in. */
export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const headers = c.req.raw.headers;
  const secret = bearerToken(c.req.header("Authorization"));
  if (secret === null) throw await countFailure(c.env, headers, unauthorized(MISSING));
  const expected = c.env.ADMIN_TOKEN;
  if (!expected || !(await timingSafeEqualStrings(secret, expected))) {
    throw await countFailure(c.env, headers, unauthorized("This route needs the deployment's admin token."));
  }
  await next();
});
