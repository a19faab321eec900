import { z } from "@hono/zod-openapi";

/**
 * String rules shared by every resource (docs/api.md): lengths count Unicode code points;
 * control characters and lone surrogates are rejected; so is the empty string (send null to
 * clear a field).
 */
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * The same rule for the OpenAPI document: a character that is not a control character
 * (`\p{Cc}` is exactly U+0000–U+001F and U+007F–U+009F), as a JSON Schema (ECMA-262) class
 * that needs no `u` flag, so every validator reads it alike. Lone surrogates cannot be stated
 * portably (docs/openapi.md).
 */
export const textCharacterExcept = (excluded = "") => `[^\\u0000-\\u001F\\u007F-\\u009F${excluded}]`;

export const TEXT_CHARACTER = textCharacterExcept();

/** `pattern` of a string made only of TEXT_CHARACTER. */
export const TEXT_PATTERN = `^${TEXT_CHARACTER}*$`;

export const codePointLength = (value: string) => {
  let count = 0;
  for (const _ of value) count++;
  return count;
};

export function textProblem(value: string, max: number): string | null {
  if (value.length === 0) return "must not be empty (send null to clear it)";
  if (!value.isWellFormed()) return "must not contain lone surrogates";
  if (CONTROL_CHARACTER.test(value)) return "must not contain control characters";
  const length = codePointLength(value);
  if (length > max) return `must be at most ${max} characters (has ${length})`;
  return null;
}

/** A non-empty string of at most `max` code points with no control characters. */
export function text(max: number) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = textProblem(value, max);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .openapi({ minLength: 1, maxLength: max, pattern: TEXT_PATTERN });
}

/** An ISO 8601 timestamp; any offset is accepted and compared as UTC. */
export const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-11-22T15:04:05.123Z" });

/** A timestamp Roster writes: ISO 8601 UTC with milliseconds. */
export const isoTimestamp = z.string().openapi({ format: "date-time", example: "2026-11-22T15:04:05.123Z" });

export const nowIso = () => new Date().toISOString();
