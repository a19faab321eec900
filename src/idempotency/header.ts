import { ApiError } from "../lib/errors";

export const MAX_KEY_LENGTH = 255;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const invalid = (detail: string) => new ApiError("idempotency_key_invalid", detail);

/**
 * The Idempotency-Key header's value, or null when the request sent none. The draft makes it
 * a Structured Field string (`"…"`, with `\"` and `\\` escapes); bare values are accepted
 * too, so `"abc"` and `abc` are the same key. A value that starts with a quote must be a
 * well-formed quoted string.
 */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const key = header.startsWith('"') ? unquote(header) : header;
  if (key === null) throw invalid('Idempotency-Key starts with a quote but is not a well-formed quoted string ("…").');
  if (key.length === 0) throw invalid("Idempotency-Key is empty; send 1 to 255 printable ASCII characters.");
  if (key.length > MAX_KEY_LENGTH) throw invalid(`Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters.`);
  if (!PRINTABLE_ASCII.test(key)) throw invalid("Idempotency-Key may hold only printable ASCII characters.");
  return key;
}

/** The content of a Structured Field string, or null when it is not one. */
function unquote(value: string): string | null {
  const end = value.length - 1;
  if (end < 1 || value[end] !== '"') return null;
  let out = "";
  for (let i = 1; i < end; i++) {
    const char = value[i];
    if (char === '"') return null;
    if (char === "\\") {
      const escaped = value[i + 1];
      if (i + 1 >= end || (escaped !== '"' && escaped !== "\\")) return null;
      out += escaped;
      i++;
      continue;
    }
    out += char;
  }
  return out;
}
