import { ApiError } from "../lib/errors";
import { signatureBytes } from "../lib/standard-webhooks";

/** Standard Webhooks' replay window, both ways (a sender's clock may run ahead). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type VerifiedDelivery = {
  /** The `webhook-id`: the message's id, the same on every retry of it. */
  messageId: string;
  /** The `webhook-timestamp`: when this delivery attempt was signed (a retry has a new one). */
  sentAt: Date;
};

type SignatureHeaders = { id: string; timestamp: string; signature: string };

// Svix signs with the same scheme under its own header names.
const HEADER_PREFIXES = ["webhook-", "svix-"];
const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;
const UNIX_SECONDS = /^\d{1,12}$/;
const HMAC_SHA256_BYTES = 32;

const invalid = (detail: string) => new ApiError("webhook_signature_invalid", detail);

function signatureHeaders(headers: Headers): SignatureHeaders | null {
  for (const prefix of HEADER_PREFIXES) {
    const id = headers.get(`${prefix}id`);
    const timestamp = headers.get(`${prefix}timestamp`);
    const signature = headers.get(`${prefix}signature`);
    if (id !== null && timestamp !== null && signature !== null) return { id, timestamp, signature };
  }
  return null;
}

/** The byte strings of the header's `v1,<base64>` entries; other versions and junk are skipped. */
function v1Signatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const entry of header.split(" ")) {
    const [version, encoded] = entry.split(",", 2);
    if (version !== "v1" || !encoded) continue;
    try {
      const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
      if (bytes.byteLength === HMAC_SHA256_BYTES) signatures.push(bytes);
    } catch {
      // not base64: cannot match
    }
  }
  return signatures;
}

/**
 * Standard Webhooks verification: a `v1` signature in the header must match one of the
 * endpoint's `secrets` (compared in constant time), then the timestamp must be within
 * ±5 minutes of `now`. Throws a 401 ApiError otherwise.
 */
export async function verifyDelivery(
  headers: Headers,
  rawBody: Uint8Array,
  secrets: string[],
  now: Date,
): Promise<VerifiedDelivery> {
  const signed = signatureHeaders(headers);
  if (!signed) {
    throw invalid("Send the webhook-id, webhook-timestamp and webhook-signature headers (or their svix- twins).");
  }
  if (!MESSAGE_ID.test(signed.id)) throw invalid("The webhook-id header must be 1–256 printable ASCII characters.");
  if (!UNIX_SECONDS.test(signed.timestamp)) throw invalid("The webhook-timestamp header must be Unix seconds.");

  const candidates = v1Signatures(signed.signature);
  let matched = false;
  for (const secret of secrets) {
    const expected = await signatureBytes(secret, signed.id, signed.timestamp, rawBody);
    for (const candidate of candidates) {
      if (crypto.subtle.timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) throw invalid("No v1 signature in the signature header matches this body and endpoint secret.");

  const sentAtSeconds = Number(signed.timestamp);
  if (Math.abs(Math.floor(now.getTime() / 1000) - sentAtSeconds) > TIMESTAMP_TOLERANCE_SECONDS) {
    throw new ApiError(
      "webhook_timestamp_out_of_range",
      `webhook-timestamp is more than ${TIMESTAMP_TOLERANCE_SECONDS / 60} minutes away from the current time.`,
    );
  }
  return { messageId: signed.id, sentAt: new Date(sentAtSeconds * 1000) };
}
