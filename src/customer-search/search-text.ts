import { ApiError } from "../lib/errors";
import type { Metadata } from "../lib/metadata";

/**
 * What customer search stores and looks for (spec section 12), as pure functions: the words of
 * a customer's searched fields, the key of its phone, its metadata as strings, and the terms of
 * a query. The index (search-index.repository.ts) and the backfill both build their rows here,
 * so a customer indexed either way is found by the same queries.
 */

/** The fields whose words are searched, in this order: a word's `field` is its index here. */
export const WORD_FIELDS = [
  "name",
  "first_name",
  "last_name",
  "display_name",
  "company",
  "username",
  "email",
  "alternative_id",
] as const;

/** The phone's `field` in customer_search_words: one row per customer with a phone. */
export const PHONE_FIELD = WORD_FIELDS.length;

/** Every column the words rows derive from (the guard of an index write compares them). */
export const SEARCHED_COLUMNS = [...WORD_FIELDS, "phone"] as const;
export type SearchedColumn = (typeof SEARCHED_COLUMNS)[number];
export type SearchedValues = Record<SearchedColumn, string | null>;

/**
 * Case- and diacritic-insensitive form: lowercase (locale-independent), compatibility
 * decomposition (NFKD: `é` is `e` + a combining accent, `ﬁ` is `fi`, full-width digits are
 * digits), then every combining mark dropped. Lowercasing first keeps `İ` → `i`.
 */
export const normalize = (text: string) => text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");

const WORD = /[\p{L}\p{N}]+/gu;

/** The words of a text: its runs of letters and digits, normalized. */
export const wordsOf = (text: string): string[] => normalize(text).match(WORD) ?? [];

/** Marks the phone's row: no word starts with it, so no ordinary term reaches a phone. */
const PHONE_MARK = "#";

/** A phone's key: its digits reversed, so "the digits end with 5309" is the prefix `#9035`. */
export const phoneKey = (digits: string) => `${PHONE_MARK}${[...digits].reverse().join("")}`;

const digitsOf = (text: string) => normalize(text).replace(/[^0-9]/g, "");

/** A customer's rows of customer_search_words: [field, position, word]. */
export type WordEntry = [field: number, position: number, word: string];

export function wordEntriesOf(values: SearchedValues): WordEntry[] {
  const entries: WordEntry[] = [];
  WORD_FIELDS.forEach((column, field) => {
    const value = values[column];
    if (value === null) return;
    for (const [position, word] of wordsOf(value).entries()) entries.push([field, position, word]);
  });
  const digits = values.phone === null ? "" : digitsOf(values.phone);
  if (digits !== "") entries.push([PHONE_FIELD, 0, phoneKey(digits)]);
  return entries;
}

/** A metadata value's string form, which a filter compares exactly: `3`, `true`, `gold`. */
export const metadataString = (value: string | number | boolean) => String(value);

/** A customer's rows of customer_search_metadata: [key, value]. */
export const metadataEntriesOf = (metadata: Metadata): [string, string][] =>
  Object.entries(metadata).map(([key, value]) => [key, metadataString(value)]);

/**
 * The upper bound of a prefix's range: every word starting with `prefix` sorts below it, as
 * U+10FFFF (the last code point, a noncharacter, never in a word) is above every character.
 */
export const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

/**
 * One term of a query. `words`: the term's words, which must follow each other in one field,
 * the last as a prefix (one word: a prefix of any word). `phone`: the key prefix of the phones
 * it also matches by their last digits, or null.
 */
export type SearchTerm = { words: string[]; phone: string | null };

export const MAX_QUERY_LENGTH = 200;
export const MAX_TERMS = 10;
const MIN_TERM_LENGTH = 2;
const MIN_PHONE_DIGITS = 4;

const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const PHONE_LIKE = /^[0-9+\-.()]+$/;

const invalidQuery = (detail: string) =>
  new ApiError("validation_failed", `The search query is invalid: q ${detail}.`, {
    errors: [{ pointer: "#/query/q", detail }],
  });

/**
 * The terms of `q`, or what is wrong with it: whitespace separates terms; nothing else in it
 * has a meaning (quotes, `*`, `-`, `:`, parentheses, `OR`, `NEAR` are text or separators).
 * Wrong: 0 or more than 10 terms, a term shorter than 2 characters or without a letter or digit.
 */
export function termsOf(q: string): SearchTerm[] | { problem: string } {
  const length = [...q].length;
  if (length > MAX_QUERY_LENGTH) return { problem: `must be at most ${MAX_QUERY_LENGTH} characters` };
  const raw = q.split(/\s+/u).filter((term) => term !== "");
  if (raw.length === 0) return { problem: "must hold at least one term" };
  if (raw.length > MAX_TERMS) return { problem: `must hold at most ${MAX_TERMS} terms (it has ${raw.length})` };
  const terms: SearchTerm[] = [];
  for (const term of raw) {
    if ([...term].length < MIN_TERM_LENGTH) {
      return { problem: `has a term shorter than ${MIN_TERM_LENGTH} characters` };
    }
    const words = wordsOf(term);
    if (!HAS_LETTER_OR_DIGIT.test(term) || words.length === 0)
      return { problem: "has a term without a letter or digit" };
    const digits = digitsOf(term);
    const phone = PHONE_LIKE.test(normalize(term)) && digits.length >= MIN_PHONE_DIGITS ? phoneKey(digits) : null;
    terms.push({ words, phone });
  }
  return terms;
}

/** `termsOf`, a 400 on `#/query/q` when `q` is wrong (the query schema refuses it first). */
export function parseQuery(q: string): SearchTerm[] {
  const terms = termsOf(q);
  if ("problem" in terms) throw invalidQuery(terms.problem);
  return terms;
}
