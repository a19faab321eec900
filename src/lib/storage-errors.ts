/**
 * Raised by Roster itself where storage gave an answer it cannot work with (a RETURNING with no
 * row, a record that kept changing through every retry): retryable, answered like a D1 failure.
 */
export class StorageUnavailable extends Error {
  override name = "StorageUnavailable";
}

/**
 * D1 reports failures as plain Errors whose message names the cause ("D1_ERROR: …",
 * "D1_EXEC_ERROR", "SQLITE_…", "Network connection lost"). Anything raised from a D1 call
 * that is not a constraint we map ourselves is "storage unavailable": the batch did not
 * commit, so the caller may retry.
 */
export function isStorageError(error: unknown): boolean {
  if (error instanceof StorageUnavailable) return true;
  if (!(error instanceof Error)) return false;
  return /D1_|SQLITE|no such table|database|Network connection lost|storage/i.test(error.message);
}

/** The unique index a write violated, as D1 names it, or null for any other error. */
export function violatedUniqueIndex(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const match = /UNIQUE constraint failed: ([^:]+?)(?:: SQLITE_CONSTRAINT.*)?$/m.exec(error.message);
  return match?.[1]?.trim() ?? null;
}
