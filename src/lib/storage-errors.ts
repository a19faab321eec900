/**
 * Raised by Roster itself where storage gave an answer it cannot work with (a RETURNING with no
 * row, a record that kept changing through every retry): retryable, answered like a D1 failure.
 */
export class StorageUnavailable extends Error {
  override name = "StorageUnavailable";
}

/**
 * How D1 reports a statement or batch that did not run: its client prefixes the message with
 * the failure's kind (`D1_ERROR: …`, `D1_EXEC_ERROR: …`, `D1_DUMP_ERROR: …`). `D1_TYPE_ERROR`
 * (a value of a type D1 cannot bind) and `D1_COLUMN_NOTFOUND` are mistakes in our own code, not
 * storage trouble, so they are not here and end as a 500.
 */
const D1_FAILURE_PREFIX = /^D1_(?:ERROR|EXEC_ERROR|DUMP_ERROR)\b/;

/** SQLite's result code, which D1 appends to an error from the database itself: `…: SQLITE_BUSY`. */
const SQLITE_RESULT_CODE = /: SQLITE_[A-Z_]+$/;

/**
 * The transient failures Cloudflare documents for D1 ("D1 errors"), which can also surface
 * without the client's prefix (from the binding's transport, before D1 answered).
 */
const D1_TRANSIENT_MESSAGES = [
  "Network connection lost.",
  "D1 DB reset because its code was updated.",
  "Internal error while starting up D1 DB storage caused object to be reset.",
  "Internal error in D1 DB storage caused object to be reset.",
  "Cannot resolve D1 DB due to transient issue on remote node.",
  "Can't read from request stream because client disconnected.",
  "D1 DB storage operation exceeded timeout which caused object to be reset.",
  "D1 DB is overloaded.",
  "D1 DB's isolate exceeded its memory limit and was reset.",
  "D1 DB exceeded its CPU time limit and was reset.",
];

/**
 * True for a failure of storage: D1's own error shapes and Roster's StorageUnavailable. The
 * statement or batch did not commit (D1 batches are atomic), so the caller may retry: the
 * answer is a 503. Anything else (a TypeError, any other Error) is a bug and a 500.
 */
export function isStorageError(error: unknown): boolean {
  if (error instanceof StorageUnavailable) return true;
  if (!(error instanceof Error)) return false;
  const { message } = error;
  return (
    D1_FAILURE_PREFIX.test(message) ||
    SQLITE_RESULT_CODE.test(message) ||
    D1_TRANSIENT_MESSAGES.some((transient) => message.startsWith(transient))
  );
}

/**
 * The unique constraint a write violated, as SQLite describes it after "UNIQUE constraint
 * failed: " (the indexed columns, `customers.org_id, customers.id`, or `index '<name>'` for an
 * index on an expression), or null for any other error. Map it through an explicit table.
 */
export function violatedUniqueIndex(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const match = /UNIQUE constraint failed: ([^:]+?)(?:: SQLITE_CONSTRAINT.*)?$/m.exec(error.message);
  return match?.[1]?.trim() ?? null;
}
