import { ApiError } from "./errors";

/**
 * Keyset cursors: an opaque, URL-safe token holding the position after which the next page
 * starts and a key of the filters it was issued for (`scope`), so a cursor sent with other
 * filters is refused instead of silently paging through a different list.
 */
export function encodeCursor(position: number, scope: string): string {
  return btoa(JSON.stringify([position, scope]))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replaceAll("=", "");
}

/** The position a cursor holds; a 400 on `#/query/cursor` unless this API issued it for `scope`. */
export function decodeCursor(value: string, scope: string): number {
  const invalid = (detail: string) =>
    new ApiError("validation_failed", `The cursor is invalid: ${detail}.`, {
      errors: [{ pointer: "#/query/cursor", detail }],
    });
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(value.replaceAll("-", "+").replaceAll("_", "/")));
  } catch {
    throw invalid("not a cursor issued by this API");
  }
  if (!Array.isArray(decoded) || !Number.isSafeInteger(decoded[0]) || typeof decoded[1] !== "string") {
    throw invalid("not a cursor issued by this API");
  }
  if (decoded[1] !== scope)
    throw invalid(
      "it was issued for another list or other filters; send it to the list, with the filters, it came from",
    );
  return decoded[0];
}
