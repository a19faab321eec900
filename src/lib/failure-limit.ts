import { ApiError } from "./errors";
import { ExpiringLru } from "./expiring-lru";

/**
 * Per-client-IP limit on failed authentication: unknown, revoked or malformed API keys and
 * admin tokens, webhook deliveries to unknown endpoints or with bad signatures. Only failures
 * are counted (the FAILURE_LIMITER binding), so a webhook sender delivering from a few
 * addresses at high rates is never limited while its deliveries verify.
 *
 * An address over its budget is remembered in this isolate until the window ends, and is then
 * refused before anything that would read storage for it (a key not yet known to be live, an
 * endpoint not in this isolate's cache), so guessing keys or endpoint ids cannot load D1.
 */

/** Matches `period` of the FAILURE_LIMITER binding in wrangler.toml: the window to wait out. */
export const FAILURE_LIMIT_PERIOD_SECONDS = 60;

/** Addresses over their failure budget, until their window ends. */
const limitedAddresses = new ExpiringLru<string, true>(10_000, FAILURE_LIMIT_PERIOD_SECONDS * 1000);

type FailureEnv = { FAILURE_LIMITER: RateLimit };

/** The client's address as Cloudflare's edge saw it; one shared bucket when there is none (local calls). */
export const clientAddress = (headers: Headers) => headers.get("CF-Connecting-IP") ?? "unknown";

export function rateLimitedByAddress(): ApiError {
  return new ApiError(
    "rate_limited",
    `Too many failed requests from this address; retry in ${FAILURE_LIMIT_PERIOD_SECONDS} seconds.`,
    { headers: { "Retry-After": String(FAILURE_LIMIT_PERIOD_SECONDS) } },
  );
}

/** Throws 429 when this address is known, in this isolate, to be over its failure budget. */
export function refuseLimitedAddress(headers: Headers): void {
  if (limitedAddresses.has(clientAddress(headers))) throw rateLimitedByAddress();
}

/**
 * Counts one failure of the request's address and returns what to answer: `failure` itself,
 * or `429 rate_limited` once the address is over its budget.
 */
export async function countFailure(env: FailureEnv, headers: Headers, failure: ApiError): Promise<ApiError> {
  const address = clientAddress(headers);
  if (limitedAddresses.has(address)) return rateLimitedByAddress();
  const { success } = await env.FAILURE_LIMITER.limit({ key: address });
  if (success) return failure;
  limitedAddresses.set(address, true);
  return rateLimitedByAddress();
}

/** Tests: forget which addresses were over their budget (the binding's counters reset apart). */
export function forgetLimitedAddresses(): void {
  limitedAddresses.clear();
}
