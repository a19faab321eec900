import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";

/**
 * Matches `period` of both request-limit [[ratelimits]] bindings in wrangler.toml (RATE_LIMITER
 * per API key, ORG_RATE_LIMITER per organization): the window to wait out.
 */
const RATE_LIMIT_PERIOD_SECONDS = 10;

const limited = (whose: string) =>
  new ApiError("rate_limited", `Too many requests for ${whose}; retry in ${RATE_LIMIT_PERIOD_SECONDS} seconds.`, {
    headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) },
  });

const ORGANIZATION = "this organization (all its API keys and webhook deliveries together)";

/**
 * The organization's request limit alone, for a request with no API key that its organization
 * still pays for: a verified webhook delivery. An organization holds its endpoints' secrets, so
 * it can sign as many deliveries as it likes; each one writes to the shared D1 like an API call.
 */
export async function limitOrganization(env: Pick<Env, "ORG_RATE_LIMITER">, orgId: string): Promise<void> {
  if (!(await env.ORG_RATE_LIMITER.limit({ key: orgId })).success) throw limited(ORGANIZATION);
}

/**
 * The request limits through the Workers rate-limiting bindings; runs after requireApiKey. Two
 * counters, asked together: the API key's (1,000 per 10 s) and its organization's across all
 * its keys (3,000 per 10 s), so that an organization cannot multiply its share of the one D1
 * database every tenant writes to by minting keys (spec §7).
 */
export const rateLimitByKeyAndOrganization = createMiddleware<AppEnv>(async (c, next) => {
  const [key, organization] = await Promise.all([
    c.env.RATE_LIMITER.limit({ key: c.get("apiKeyId") }),
    c.env.ORG_RATE_LIMITER.limit({ key: c.get("orgId") }),
  ]);
  if (!key.success) throw limited("this API key");
  if (!organization.success) throw limited(ORGANIZATION);
  await next();
});
