import { z } from "@hono/zod-openapi";
import { text, textCharacterExcept } from "../lib/fields";

export const alternativeId = text(256)
  .refine((value) => value !== "." && value !== "..", "cannot be '.' or '..'")
  .openapi({
    example: "user_2abc",
    description: "The caller's own unique ID; URL-encode it in paths.",
    // Dot segments: URLs normalize them away, so no path could name such a customer.
    not: { enum: [".", ".."] },
  });

// RFC 5321: a dot-atom or quoted-string local part of at most 64 octets, then a domain of
// LDH labels (each 1–63, no leading or trailing hyphen) with at least one dot.
const LOCAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LOCAL_QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * The same rules for the OpenAPI document, without lookarounds (so every JSON Schema
 * validator reads them): the address, and, apart, its local part's 64 octets (the part before
 * the last "@", since a quoted local part may hold one).
 */
const LABEL_SOURCE = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const EMAIL_PATTERN = `^(?:${LOCAL_DOT_ATOM.source.slice(1, -1)}|${LOCAL_QUOTED.source.slice(1, -1)})@${LABEL_SOURCE}(?:\\.${LABEL_SOURCE})+$`;
const LOCAL_PART_PATTERN = "^.{1,64}@[^@]+$";

export function emailProblem(value: string): string | null {
  if (value.length > 254) return `must be at most 254 characters (has ${value.length})`;
  const at = value.lastIndexOf("@");
  if (at < 1) return "must be an email address (local@domain)";
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split(".");
  if (local.length > 64 || !(LOCAL_DOT_ATOM.test(local) || LOCAL_QUOTED.test(local))) {
    return "must have a valid local part (RFC 5321, at most 64 characters)";
  }
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) {
    return "must have a domain of letters, digits and hyphens with at least one dot";
  }
  return null;
}

export const email = z
  .string()
  .superRefine((value, ctx) => {
    const problem = emailProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({
    format: "email",
    maxLength: 254,
    pattern: EMAIL_PATTERN,
    allOf: [{ pattern: LOCAL_PART_PATTERN }],
    description: "An ASCII address (RFC 5321 local part of at most 64 characters, a domain with at least one dot).",
    example: "jenny.doe@example.com",
  });

export const username = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
  .openapi({ example: "jenny_doe" });

const NON_DIGIT = textCharacterExcept("0-9");

export const phone = text(32)
  .refine((value) => {
    const digits = value.replace(/\D/g, "").length;
    return digits >= 5 && digits <= 20;
  }, "must contain 5–20 digits")
  .openapi({
    example: "+1 111-867-5309",
    description: "As given; 5–20 of its characters are digits.",
    pattern: `^(?:${NON_DIGIT}*[0-9]){5,20}${NON_DIGIT}*$`,
  });

/** The canonical form of a BCP 47 tag, or null when the runtime rejects it. */
export function canonicalLanguage(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

/**
 * What `Intl.getCanonicalLocales` accepts: a Unicode BCP 47 locale identifier (UTS 35
 * `unicode_locale_id`, without its backwards-compatible forms), case-insensitive. A tag of this
 * shape is refused only when it repeats a variant or an extension's singleton.
 */
const ALNUM = "[A-Za-z0-9]";
const LANGUAGE_ID = `[A-Za-z]{2,3}(?:-[A-Za-z]{4})?|[A-Za-z]{5,8}(?:-[A-Za-z]{4})?`;
const LANGUAGE_TAIL = `(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:${ALNUM}{5,8}|[0-9]${ALNUM}{3}))*`;
const UNICODE_LANGUAGE_ID = `(?:${LANGUAGE_ID})${LANGUAGE_TAIL}`;
const UNICODE_KEYWORD = `-${ALNUM}[A-Za-z](?:-${ALNUM}{3,8})*`;
const EXTENSION = [
  `-[uU](?:(?:${UNICODE_KEYWORD})+|(?:-${ALNUM}{3,8})+(?:${UNICODE_KEYWORD})*)`,
  `-[tT](?:-${UNICODE_LANGUAGE_ID}(?:-[A-Za-z][0-9](?:-${ALNUM}{3,8})+)*|(?:-[A-Za-z][0-9](?:-${ALNUM}{3,8})+)+)`,
  `-[0-9A-SV-WYZa-sv-wyz](?:-${ALNUM}{2,8})+`,
].join("|");
const LANGUAGE_PATTERN = `^${UNICODE_LANGUAGE_ID}(?:${EXTENSION})*(?:-[xX](?:-${ALNUM}{1,8})+)?$`;

export const language = text(35)
  .refine((value) => canonicalLanguage(value) !== null, "must be a BCP 47 language tag such as 'en' or 'pt-BR'")
  .openapi({
    example: "en",
    description:
      "A BCP 47 tag as `Intl.getCanonicalLocales` reads it (`en`, `pt-BR`, `zh-Hant-TW`), without a repeated variant or extension; stored canonicalized.",
    pattern: LANGUAGE_PATTERN,
  });

function isIanaTimeZone(zone: string): boolean {
  // Offsets ("+01:00", "-0500") are valid time zones to Intl but not IANA names.
  if (!/^[A-Za-z]/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const timezone = text(64)
  .refine(isIanaTimeZone, "must be an IANA time zone name such as 'Europe/Paris'")
  .openapi({
    example: "America/New_York",
    description:
      "An IANA time zone name (`Europe/Paris`, `America/Argentina/Buenos_Aires`, `UTC`) that the runtime knows (`Intl.DateTimeFormat`), stored as sent. UTC offsets such as `+01:00` are refused.",
    // Every IANA name has this shape; which names exist is the runtime's time zone data.
    pattern: "^[A-Za-z][A-Za-z0-9_+/-]*$",
  });
