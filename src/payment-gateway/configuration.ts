import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import { InvalidEncryptionKey, type KeyRing, keyRing } from "../lib/secret-box";
import type { AppEnv } from "../lib/types";

/**
 * Every money route (spec section 11: the gateway, charges, balances) needs the deployment
 * secret GATEWAY_ENCRYPTION_KEY, the test gateway's included, so a deployment behaves the same
 * whichever gateway an organization picks. Without it (or with one that is not 32 bytes of
 * base64) they answer `503 configuration_missing` naming it, before reading the body.
 */

export type EncryptionSettings = { GATEWAY_ENCRYPTION_KEY?: string; GATEWAY_ENCRYPTION_KEY_PREVIOUS?: string };

const missing = (detail: string) => new ApiError("configuration_missing", detail);

// One ring per isolate and setting values: importing the keys costs a few WebCrypto calls.
let memo: { current: string; previous: string | undefined; ring: Promise<KeyRing> } | null = null;

/** The key ring of these settings; a 503 configuration_missing when the key is absent or malformed. */
export async function gatewayKeyRing(settings: EncryptionSettings): Promise<KeyRing> {
  const current = settings.GATEWAY_ENCRYPTION_KEY;
  if (!current) {
    throw missing(
      "This deployment has no GATEWAY_ENCRYPTION_KEY secret, which payment gateway keys are encrypted with. Set it with `wrangler secret put GATEWAY_ENCRYPTION_KEY` (32 random bytes in base64: `openssl rand -base64 32`).",
    );
  }
  const previous = settings.GATEWAY_ENCRYPTION_KEY_PREVIOUS;
  if (memo?.current !== current || memo.previous !== previous) {
    const ring = keyRing(
      { setting: "GATEWAY_ENCRYPTION_KEY", value: current },
      { setting: "GATEWAY_ENCRYPTION_KEY_PREVIOUS", value: previous },
    );
    memo = { current, previous, ring };
  }
  try {
    return await memo.ring;
  } catch (error) {
    memo = null;
    if (error instanceof InvalidEncryptionKey) throw missing(`This deployment's ${error.message}.`);
    throw error;
  }
}

/** Route middleware: the money routes' 503 when the secret is missing, ahead of validation. */
export const requireGatewayEncryptionKey = createMiddleware<AppEnv>(async (c, next) => {
  await gatewayKeyRing(c.env);
  await next();
});

/** A stored gateway key that none of the configured keys decrypts (rotated without the previous key). */
export const undecryptableGatewayKey = () =>
  missing(
    "The stored payment gateway key was encrypted with a key this deployment no longer has: set the previous key as GATEWAY_ENCRYPTION_KEY_PREVIOUS (docs/money.md, key rotation), or PUT /v1/payment_gateway again.",
  );
