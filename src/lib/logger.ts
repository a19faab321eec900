/**
 * Structured JSON logs. Callers pass only identifiers and measurements: never a customer's
 * PII, an alternative ID or a request path that could contain one (routes are logged as their
 * pattern, e.g. `/v1/customers/alternative-id/:alternative_id`).
 */
type Fields = Record<string, string | number | boolean | null | undefined>;

export function logInfo(message: string, fields: Fields): void {
  console.log(JSON.stringify({ level: "info", message, ...fields }));
}

export function logError(message: string, fields: Fields): void {
  console.error(JSON.stringify({ level: "error", message, ...fields }));
}

/** An error as one log field: its name and message, never its stack. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
