import { z } from "@hono/zod-openapi";
import { text, textProblem } from "../lib/fields";

/** Route words under /v1/customers and the dot segments URLs normalize away. */
export const RESERVED_CUSTOMER_IDS = new Set(["provision", "import", "alternative-id", ".", ".."]);

export const customerId = z
  .string()
  .regex(/^[A-Za-z0-9_\-.:@]{1,255}$/, "must be 1–255 characters of A-Z a-z 0-9 _ - . : @")
  .refine((id) => !RESERVED_CUSTOMER_IDS.has(id), "is reserved (a route word or a dot segment)")
  .openapi({
    example: "cus_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R",
    minLength: 1,
    maxLength: 255,
    // The refine above is invisible to the generator: tools learn the reserved words from this.
    not: { enum: [...RESERVED_CUSTOMER_IDS] },
  });

export const alternativeId = text(256)
  .refine((value) => value !== "." && value !== "..", "cannot be '.' or '..'")
  .openapi({ example: "user_2abc", description: "The caller's own unique ID; URL-encode it in paths." });

// RFC 5321: a dot-atom or quoted-string local part of at most 64 octets, then a domain of
// LDH labels (each 1–63, no leading or trailing hyphen) with at least one dot.
const LOCAL_DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LOCAL_QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

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
  .openapi({ format: "email", maxLength: 254, example: "jenny.doe@example.com" });

export const username = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ -")
  .openapi({ example: "jenny_doe" });

export const phone = text(32)
  .refine((value) => {
    const digits = value.replace(/\D/g, "").length;
    return digits >= 5 && digits <= 20;
  }, "must contain 5–20 digits")
  .openapi({ example: "+1 111-867-5309" });

/** The canonical form of a BCP 47 tag, or null when the runtime rejects it. */
export function canonicalLanguage(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    return canonical ?? null;
  } catch {
    return null;
  }
}

export const language = text(35)
  .refine((value) => canonicalLanguage(value) !== null, "must be a BCP 47 language tag such as 'en' or 'pt-BR'")
  .openapi({ example: "en", description: "BCP 47; stored canonicalized." });

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
  .openapi({ example: "America/New_York" });

export const MAX_METADATA_KEYS = 50;

const metadataKey = z.string().superRefine((key, ctx) => {
  const problem = textProblem(key, 40) ?? (/[[\]]/.test(key) ? "must not contain '[' or ']'" : null);
  if (problem) ctx.addIssue({ code: "custom", message: `metadata key ${problem}` });
});

const metadataValue = z.union([text(500), z.number(), z.boolean()]);

/** What metadata may hold once stored. */
export type Metadata = Record<string, string | number | boolean>;

/** Metadata as sent: a null value removes the key (PATCH) or is simply absent (create, PUT). */
export const metadataInput = z
  .record(metadataKey, metadataValue.nullable())
  .refine((value) => Object.keys(value).length <= MAX_METADATA_KEYS, `must have at most ${MAX_METADATA_KEYS} keys`)
  .openapi({
    description: `At most ${MAX_METADATA_KEYS} keys of 1–40 characters without '[' or ']'; values are strings (≤ 500 characters), finite numbers or booleans. null removes a key.`,
    example: { plan_source: "signup", seats: 3, beta: true },
  });

export const metadataKeyParam = metadataKey;
