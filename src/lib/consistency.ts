import { ApiError } from "./errors";

/**
 * Read replication (docs/consistency.md): which copy of the database a
 * request's D1 session starts on, chosen from its method and two request headers.
 */

/** Request: read at least every write up to this bookmark. Response: the session's latest bookmark. */
export const BOOKMARK_HEADER = "Roster-Bookmark";
/** Request: `strong` sends a read to the primary. */
export const CONSISTENCY_HEADER = "Roster-Consistency";
export const STRONG = "strong";

/**
 * A D1 bookmark: four lowercase hex groups, 8-8-8-32 (`00000085-0000024c-00004c6d-8e61…`), the
 * shape D1 hands out both locally and in Cloudflare's documentation. D1 itself is not asked:
 * locally it accepts any string as a bookmark and hands it back.
 */
export const BOOKMARK_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
export const BOOKMARK_EXAMPLE = "00000000-00000006-00000000-00000000000000000000000000000000";

/** Where a session starts: D1's two constraints, or a bookmark its reads must have caught up with. */
export type SessionStart = D1SessionConstraint | D1SessionBookmark;

/** GET (and HEAD, which runs the GET route) only reads; every other method writes. */
const READ_METHODS = new Set(["GET", "HEAD"]);

const invalidHeader = (header: string, detail: string) =>
  new ApiError("validation_failed", `The ${header} header is invalid.`, {
    errors: [{ pointer: `#/header/${header}`, detail }],
  });

/**
 * The start of a request's session. Writes start on the primary, so every read inside them
 * sees the latest committed state; reads start on the nearest copy unless the caller asks for
 * the primary (`strong`, which also covers any bookmark) or sends a bookmark. Both headers are
 * checked on every method, so a bad value is a 400 wherever it is sent.
 */
export function sessionStartFor(
  method: string,
  consistency: string | undefined,
  bookmark: string | undefined,
): SessionStart {
  if (consistency !== undefined && consistency !== STRONG) {
    throw invalidHeader(CONSISTENCY_HEADER, `must be "${STRONG}" (or left out)`);
  }
  if (bookmark !== undefined && !BOOKMARK_PATTERN.test(bookmark)) {
    throw invalidHeader(BOOKMARK_HEADER, "must be a bookmark exactly as a Roster-Bookmark response header gave it");
  }
  if (!READ_METHODS.has(method) || consistency === STRONG) return "first-primary";
  return bookmark ?? "first-unconstrained";
}
