/**
 * Stripe's error object, as its API reference describes it: every non-2xx answer is
 * `{"error": {"type", "code", "decline_code", "message", "param", "payment_intent", …}}`.
 * `type` is `api_error`, `card_error`, `idempotency_error` or `invalid_request_error`;
 * `payment_intent` is set when the request involved a PaymentIntent (a declined off-session
 * charge answers 402 `card_error` with the PaymentIntent it created).
 */
export type StripeError = {
  type: string | null;
  code: string | null;
  declineCode: string | null;
  /** Already scrubbed of anything that looks like a secret key. */
  message: string;
  param: string | null;
  paymentIntentId: string | null;
};

/** Stripe's messages may quote the key it refused ("Invalid API Key provided: sk_test_…"). */
const SECRET_KEY = /\b([sr]k)_[A-Za-z0-9_*]+/g;
const MAX_MESSAGE_LENGTH = 500;

/** Replaces anything shaped like a secret (`sk_…`) or restricted (`rk_…`) key, and bounds the length. */
export function scrubSecrets(text: string): string {
  const scrubbed = text.replace(SECRET_KEY, "$1_[redacted]");
  return scrubbed.length > MAX_MESSAGE_LENGTH ? `${scrubbed.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : scrubbed;
}

/** Reads Stripe's error object from a parsed body; anything else gives a generic one naming the status. */
export function parseStripeError(body: unknown, status: number): StripeError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const paymentIntent = isRecord(error.payment_intent) ? error.payment_intent : null;
  return {
    type: stringOrNull(error.type),
    code: stringOrNull(error.code),
    declineCode: stringOrNull(error.decline_code),
    message: scrubSecrets(stringOrNull(error.message) ?? `Stripe answered HTTP ${status}.`),
    param: stringOrNull(error.param),
    paymentIntentId: paymentIntent ? stringOrNull(paymentIntent.id) : null,
  };
}

/**
 * Stripe executed nothing for these: another request with the same idempotency key, or on the
 * same object, was running. Stripe's libraries retry them; Roster's caller retries with the same key.
 */
export function isConcurrencyConflict(status: number, error: StripeError): boolean {
  return status === 409 && (error.code === "idempotency_key_in_use" || error.code === "lock_timeout");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
