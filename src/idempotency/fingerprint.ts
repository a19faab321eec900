import { sha256Hex } from "../lib/crypto";

/**
 * What makes two requests "the same request" for an Idempotency-Key: the method, the
 * percent-decoded path, the query parameters sorted by name and the SHA-256 of the raw body.
 * Path segments are decoded one by one and kept apart, so `/a%2Fb` (one segment holding a
 * slash, e.g. an alternative ID) never equals `/a/b`; `%41` and `A` are the same.
 */
export async function requestFingerprint(method: string, url: string, rawBody: Uint8Array): Promise<string> {
  const { pathname, searchParams } = new URL(url);
  const segments = pathname.split("/").map(decodeSegment);
  // A stable sort: repeated names keep the order they were sent in, which can matter.
  const query = [...searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(JSON.stringify([method.toUpperCase(), segments, query, await sha256Hex(rawBody)]));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Malformed escapes stay as sent: such a request still has one stable fingerprint.
    return segment;
  }
}
