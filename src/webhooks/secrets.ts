/** Standard Webhooks signing secrets: `whsec_` + base64 of random bytes. */
export const SECRET_PREFIX = "whsec_";

// 24 bytes (192 bits), as Svix issues them: base64 without padding, so the masked tail is
// four real characters of the secret.
const SECRET_BYTES = 24;

/** Bounds for a secret a sender issued: at least as strong as ours, and a sane size. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why a sender-issued secret is unusable, or null when it is fine. */
export function issuedSecretProblem(secret: string): string | null {
  const encoded = secret.slice(SECRET_PREFIX.length);
  let bytes: number;
  try {
    if (!secret.startsWith(SECRET_PREFIX) || !BASE64.test(encoded)) throw new Error("not base64");
    bytes = atob(encoded).length;
  } catch {
    return "must be whsec_ followed by base64";
  }
  if (bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    return `must encode ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes (has ${bytes})`;
  }
  return null;
}

/** How long a rotated-out secret keeps verifying, so senders can switch without dropping events. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** The form lists show: enough to tell secrets apart, never enough to use one. */
export const maskedSecret = (last4: string) => `${SECRET_PREFIX}…${last4}`;

/** The HMAC key bytes of a secret (the base64 after `whsec_`). */
export function signingKeyBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
}
