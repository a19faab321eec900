/**
 * Standard Webhooks (standardwebhooks.com) signing, shared by webhook intake (verifying what
 * senders sign) and event delivery (signing what Roster sends): secrets are `whsec_` + base64
 * of random bytes, and a signature is the base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`.
 */
export const SECRET_PREFIX = "whsec_";

// 24 bytes (192 bits), as Svix issues them: base64 without padding, so the masked tail is
// four real characters of the secret.
const SECRET_BYTES = 24;

export function newSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** The form lists show: enough to tell secrets apart, never enough to use one. */
export const maskedSecret = (last4: string) => `${SECRET_PREFIX}…${last4}`;

/** Whether a secret is shown masked (`maskedSecret`), not in full. */
export const isMaskedSecret = (secret: string) => secret.startsWith(`${SECRET_PREFIX}…`);

/** The HMAC key bytes of a secret (the base64 after `whsec_`). */
export function signingKeyBytes(secret: string): Uint8Array {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
}

/** HMAC-SHA256 over `${id}.${timestamp}.` followed by the body bytes exactly as sent. */
export async function signatureBytes(
  secret: string,
  id: string,
  timestamp: string,
  body: Uint8Array,
): Promise<ArrayBuffer> {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + body.byteLength);
  signed.set(prefix);
  signed.set(body, prefix.byteLength);
  const key = await crypto.subtle.importKey("raw", signingKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return crypto.subtle.sign("HMAC", key, signed);
}

/** The `webhook-signature` header value: one `v1,<base64>` entry per secret, space-separated. */
export async function signatureHeader(
  secrets: string[],
  id: string,
  timestamp: string,
  body: Uint8Array,
): Promise<string> {
  const entries = await Promise.all(
    secrets.map(async (secret) => {
      const bytes = new Uint8Array(await signatureBytes(secret, id, timestamp, body));
      return `v1,${btoa(String.fromCharCode(...bytes))}`;
    }),
  );
  return entries.join(" ");
}
