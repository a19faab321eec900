import { SECRET_PREFIX } from "../lib/standard-webhooks";

// Secrets are generated, masked and turned into keys by the shared Standard Webhooks module.
export { maskedSecret, newSigningSecret } from "../lib/standard-webhooks";

/** Bounds for a secret a sender issued: at least as strong as ours, and a sane size. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The same rule as a pattern, for the document: `whsec_`, then base64 as `atob` decodes it
 * (groups of four, then 2 or 3 more characters padded with `=` or not) of MIN–MAX bytes: a
 * group is 3 bytes, a 2-character tail 1, a 3-character tail 2.
 */
const groups = (tailBytes: number) =>
  `(?:[A-Za-z0-9+/]{4}){${Math.ceil((MIN_SECRET_BYTES - tailBytes) / 3)},${Math.floor((MAX_SECRET_BYTES - tailBytes) / 3)}}`;
export const ISSUED_SECRET_PATTERN = `^${SECRET_PREFIX}(?:${groups(0)}|${groups(1)}[A-Za-z0-9+/]{2}(?:==)?|${groups(2)}[A-Za-z0-9+/]{3}=?)$`;

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
