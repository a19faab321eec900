import { ApiError } from "../lib/errors";

/**
 * Webhooks refuse late events for archived customers by a keyed hash of their alternative IDs
 * (customers/archive.ts), which needs ALTERNATIVE_ID_HASH_KEY. Without it a late event would
 * silently re-create an archived customer, so webhook routes refuse to run instead.
 */
export function requireAlternativeIdHashKey(env: Env): void {
  if (env.ALTERNATIVE_ID_HASH_KEY) return;
  throw new ApiError(
    "configuration_missing",
    "This deployment has no ALTERNATIVE_ID_HASH_KEY secret, which webhooks need to keep archived customers archived. Set it with `wrangler secret put ALTERNATIVE_ID_HASH_KEY`.",
  );
}
