import { z } from "@hono/zod-openapi";
import { text, textCharacterExcept, textProblem } from "./fields";

/**
 * Metadata, the same on every resource that has it (customers, subscriptions): string keys,
 * scalar values, a bounded number of keys.
 */
export const MAX_METADATA_KEYS = 50;

export const MAX_METADATA_KEY_LENGTH = 40;

/** A key's characters for the document: a text character other than '[' and ']'. */
const KEY_PATTERN = `^${textCharacterExcept("\\[\\]")}*$`;

const metadataKey = z
  .string()
  .superRefine((key, ctx) => {
    const problem =
      textProblem(key, MAX_METADATA_KEY_LENGTH) ?? (/[[\]]/.test(key) ? "must not contain '[' or ']'" : null);
    if (problem) ctx.addIssue({ code: "custom", message: `metadata key ${problem}` });
  })
  .openapi({ minLength: 1, maxLength: MAX_METADATA_KEY_LENGTH, pattern: KEY_PATTERN });

const metadataValue = z.union([text(500), z.number(), z.boolean()]);

/** What metadata may hold once stored. */
export type Metadata = Record<string, string | number | boolean>;

/** Metadata as sent: a null value removes the key (PATCH) or is simply absent (create, PUT). */
export const metadataInput = z
  .record(metadataKey, metadataValue.nullable())
  .refine((value) => Object.keys(value).length <= MAX_METADATA_KEYS, `must have at most ${MAX_METADATA_KEYS} keys`)
  .openapi({
    // The generator knows a record's values, not its keys: the key rules, stated here
    // (`propertyNames` is JSON Schema 2020-12, which the generator's types do not list).
    ...({
      propertyNames: { type: "string", minLength: 1, maxLength: MAX_METADATA_KEY_LENGTH, pattern: KEY_PATTERN },
    } as object),
    maxProperties: MAX_METADATA_KEYS,
    description: `At most ${MAX_METADATA_KEYS} keys of 1–40 characters without '[' or ']'; values are strings (≤ 500 characters), finite numbers or booleans. null removes a key.`,
    example: { plan_source: "signup", seats: 3, beta: true },
  });

export const metadataKeyParam = metadataKey;
