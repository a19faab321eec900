import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../lib/types";

/** Matches `period` of the [[ratelimits]] binding in wrangler.toml: the window to wait out. */
const RATE_LIMIT_PERIOD_SECONDS = 10;

/** Per-API-key limit through the Workers rate-limiting binding; runs after requireApiKey. */
export const rateLimitByKey = createMiddleware<AppEnv>(async (c, next) => {
  const { success } = await c.env.RATE_LIMITER.limit({ key: c.get("apiKeyId") });
  if (!success) {
    throw new ApiError(
      "rate_limited",
      `Too many requests for this API key; retry in ${RATE_LIMIT_PERIOD_SECONDS} seconds.`,
      {
        headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) },
      },
    );
  }
  await next();
});
