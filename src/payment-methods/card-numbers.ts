import type { FieldError } from "../lib/errors";

/**
 * Finds payment card numbers (PANs) so that none is ever stored: 13–19 digits, possibly
 * grouped by single spaces or dashes, passing the Luhn check. Roster stores references to a
 * gateway's stored instrument only.
 */

/** Maximal runs of digit groups joined by single spaces or dashes. */
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;
const SEPARATOR = /[ -]/;

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Whether any consecutive groups of a run form a card number. Windows of whole groups (not
 * only whole runs) are checked, so a number that follows other digits ("order 12 4242 4242
 * 4242 4242") is still found; a single unbroken group longer than 19 digits is not a card number.
 */
export function containsCardNumber(text: string): boolean {
  for (const [run] of text.matchAll(DIGIT_RUN)) {
    const groups = run.split(SEPARATOR);
    for (let start = 0; start < groups.length; start++) {
      let digits = "";
      for (let end = start; end < groups.length && digits.length <= 19; end++) {
        digits += groups[end];
        if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
      }
    }
  }
  return false;
}

/**
 * A JSON number of 13–19 integer digits. Past 2^53 the parsed value has lost digits and the
 * Luhn check means nothing, so such a number counts as a card number outright (no field of a
 * payment method takes numbers that large anyway).
 */
function isCardLikeNumber(value: number): boolean {
  const magnitude = Math.abs(value);
  if (!Number.isInteger(magnitude) || magnitude < 1e12 || magnitude >= 1e19) return false;
  return !Number.isSafeInteger(magnitude) || passesLuhn(String(magnitude));
}

const CARD_NUMBER_DETAIL =
  "looks like a payment card number (13–19 digits passing the Luhn check); send the gateway's reference to the stored card, never the number";

const escapePointerSegment = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Every place in a parsed JSON body that holds a card number: string values, numbers and
 * object keys, at any depth. A key is reported at its object's pointer, so that the error
 * never repeats the number.
 */
export function cardNumberErrors(value: unknown, pointer = ""): FieldError[] {
  if (typeof value === "string") return containsCardNumber(value) ? [{ pointer, detail: CARD_NUMBER_DETAIL }] : [];
  if (typeof value === "number") return isCardLikeNumber(value) ? [{ pointer, detail: CARD_NUMBER_DETAIL }] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => cardNumberErrors(item, `${pointer}/${index}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) =>
    containsCardNumber(key)
      ? [{ pointer, detail: `has a field name that ${CARD_NUMBER_DETAIL}` }]
      : cardNumberErrors(child, `${pointer}/${escapePointerSegment(key)}`),
  );
}
