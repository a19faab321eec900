import { describe, expect, it } from "vitest";
import {
  astral,
  EMAIL_254,
  EMAIL_255,
  expectAccepted,
  expectRejected,
  LANGUAGE_35,
  LANGUAGE_36,
  LOCAL_64,
  METHODS,
  PHONE_20_DIGITS,
  PHONE_32_CHARS,
  PHONE_33_CHARS,
  STRING_FIELDS,
  TEMPLATES,
  targetFor,
} from "./customer-fields-helpers";
import type { CustomerObject } from "./helpers";

/** Spec §2 field rules, string and boolean fields, through POST, PATCH and PUT (see customer-fields-helpers.ts). */

type Accepted = { field: keyof CustomerObject; why: string; value: unknown; stored: unknown };

const ACCEPTED: Accepted[] = [
  { field: "name", why: "255 astral code points", value: astral(255), stored: astral(255) },
  { field: "name", why: "non-ASCII", value: "Zoë 李 Ørsted", stored: "Zoë 李 Ørsted" },
  { field: "first_name", why: "255 astral code points", value: astral(255), stored: astral(255) },
  { field: "last_name", why: "255 astral code points", value: astral(255), stored: astral(255) },
  { field: "company", why: "255 astral code points", value: astral(255), stored: astral(255) },
  { field: "display_name", why: "100 astral code points", value: astral(100), stored: astral(100) },
  { field: "coupon_id", why: "255 astral code points", value: astral(255), stored: astral(255) },
  { field: "coupon_id", why: "1 character", value: "X", stored: "X" },
  { field: "alternative_id", why: "256 astral code points", value: astral(256), stored: astral(256) },
  { field: "alternative_id", why: "1 character", value: "a", stored: "a" },
  { field: "alternative_id", why: "a slash", value: "org/42", stored: "org/42" },
  { field: "alternative_id", why: "just a slash", value: "/", stored: "/" },
  { field: "alternative_id", why: "spaces", value: "user 42 ", stored: "user 42 " },
  { field: "alternative_id", why: "percent signs", value: "100%25", stored: "100%25" },
  { field: "alternative_id", why: "a plus", value: "a+b", stored: "a+b" },
  { field: "alternative_id", why: "non-ASCII", value: "ユーザー_ü", stored: "ユーザー_ü" },
  { field: "alternative_id", why: "three dots", value: "...", stored: "..." },
  { field: "alternative_id", why: "a dot among text", value: "./x", stored: "./x" },
  { field: "email", why: "a plain address", value: "jenny.doe@example.com", stored: "jenny.doe@example.com" },
  { field: "email", why: "254 characters", value: EMAIL_254, stored: EMAIL_254 },
  {
    field: "email",
    why: "mixed case, stored as given",
    value: "Jenny.Doe@Example.COM",
    stored: "Jenny.Doe@Example.COM",
  },
  { field: "email", why: "a quoted local part", value: '"jenny doe"@example.com', stored: '"jenny doe"@example.com' },
  {
    field: "email",
    why: "plus tag and subdomains",
    value: "a+tag@mail.example.co.uk",
    stored: "a+tag@mail.example.co.uk",
  },
  {
    field: "email",
    why: "a 64-character local part",
    value: `${LOCAL_64}@example.com`,
    stored: `${LOCAL_64}@example.com`,
  },
  { field: "username", why: "64 characters", value: "u".repeat(64), stored: "u".repeat(64) },
  { field: "username", why: "the whole charset", value: "Jenny_Doe-09", stored: "Jenny_Doe-09" },
  { field: "username", why: "1 character", value: "j", stored: "j" },
  { field: "phone", why: "5 digits", value: "12345", stored: "12345" },
  { field: "phone", why: "formatted, as given", value: "+1 111-867-5309", stored: "+1 111-867-5309" },
  { field: "phone", why: "20 digits", value: PHONE_20_DIGITS, stored: PHONE_20_DIGITS },
  { field: "phone", why: "32 characters", value: PHONE_32_CHARS, stored: PHONE_32_CHARS },
  { field: "language", why: "'en'", value: "en", stored: "en" },
  { field: "language", why: "'EN' canonicalized", value: "EN", stored: "en" },
  { field: "language", why: "'pt-br' canonicalized", value: "pt-br", stored: "pt-BR" },
  { field: "language", why: "'zh-hant-tw' canonicalized", value: "zh-hant-tw", stored: "zh-Hant-TW" },
  { field: "language", why: "a region code", value: "es-419", stored: "es-419" },
  { field: "language", why: "35 characters", value: LANGUAGE_35, stored: LANGUAGE_35 },
  { field: "timezone", why: "Europe/Paris", value: "Europe/Paris", stored: "Europe/Paris" },
  { field: "timezone", why: "America/New_York", value: "America/New_York", stored: "America/New_York" },
  { field: "timezone", why: "UTC", value: "UTC", stored: "UTC" },
  {
    field: "timezone",
    why: "a three-part name",
    value: "America/Argentina/Buenos_Aires",
    stored: "America/Argentina/Buenos_Aires",
  },
  { field: "mail_marketing", why: "true", value: true, stored: true },
  { field: "mail_marketing", why: "false", value: false, stored: false },
  { field: "tele_marketing", why: "true", value: true, stored: true },
  { field: "tele_marketing", why: "false", value: false, stored: false },
];

type Rejected = { field: string; why: string; value: unknown };

const REJECTED: Rejected[] = [
  ...STRING_FIELDS.map((field) => ({ field, why: "an empty string", value: "" })),
  { field: "name", why: "256 astral code points", value: astral(256) },
  { field: "first_name", why: "256 astral code points", value: astral(256) },
  { field: "last_name", why: "256 astral code points", value: astral(256) },
  { field: "company", why: "256 astral code points", value: astral(256) },
  { field: "display_name", why: "101 astral code points", value: astral(101) },
  { field: "coupon_id", why: "256 astral code points", value: astral(256) },
  { field: "alternative_id", why: "257 astral code points", value: astral(257) },
  { field: "alternative_id", why: "'.'", value: "." },
  { field: "alternative_id", why: "'..'", value: ".." },
  { field: "email", why: "255 characters", value: EMAIL_255 },
  { field: "email", why: "a 65-character local part", value: `${"l".repeat(65)}@example.com` },
  { field: "email", why: "a non-ASCII local part", value: "jöhn@example.com" },
  { field: "email", why: "a non-ASCII domain", value: "john@exämple.com" },
  { field: "email", why: "a domain without a dot", value: "john@localhost" },
  { field: "email", why: "no @", value: "john.example.com" },
  { field: "email", why: "no local part", value: "@example.com" },
  { field: "email", why: "no domain", value: "john@" },
  { field: "email", why: "an unquoted space", value: "john doe@example.com" },
  { field: "email", why: "two @", value: "john@doe@example.com" },
  { field: "username", why: "65 characters", value: "u".repeat(65) },
  { field: "username", why: "a dot", value: "jenny.doe" },
  { field: "username", why: "a space", value: "jenny doe" },
  { field: "username", why: "an @", value: "jenny@doe" },
  { field: "username", why: "non-ASCII", value: "jénny" },
  { field: "phone", why: "4 digits", value: "1234" },
  { field: "phone", why: "4 digits among formatting", value: "+1 (23) 4" },
  { field: "phone", why: "21 digits", value: `${PHONE_20_DIGITS}1` },
  { field: "phone", why: "33 characters", value: PHONE_33_CHARS },
  { field: "phone", why: "no digits", value: "call me" },
  { field: "language", why: "an underscore", value: "en_US" },
  { field: "language", why: "one letter", value: "e" },
  { field: "language", why: "a trailing hyphen", value: "en-" },
  { field: "language", why: "digits", value: "123" },
  { field: "language", why: "a space", value: "en US" },
  { field: "language", why: "36 characters", value: LANGUAGE_36 },
  { field: "timezone", why: "an unknown zone", value: "Mars/Olympus" },
  { field: "timezone", why: "a misspelt zone", value: "Europe/Pariss" },
  { field: "timezone", why: "offset +01:00", value: "+01:00" },
  { field: "timezone", why: "offset -05:00", value: "-05:00" },
  { field: "mail_marketing", why: "the string 'true'", value: "true" },
  { field: "mail_marketing", why: "the number 1", value: 1 },
  { field: "tele_marketing", why: "the string 'false'", value: "false" },
  { field: "tele_marketing", why: "the number 0", value: 0 },
  { field: "metadata", why: "a string", value: "plan=pro" },
  { field: "metadata", why: "an array", value: [{ plan: "pro" }] },
  { field: "metadata", why: "a number", value: 3 },
];

/** Bad characters: C0 and C1 controls, DEL, and lone surrogates of either half. */
const BAD_CHARACTERS = [
  { why: "NUL", char: "\u0000" },
  { why: "a newline", char: "\n" },
  { why: "a tab", char: "\t" },
  { why: "DEL", char: "\u007f" },
  { why: "a C1 control", char: "\u0085" },
  { why: "a lone high surrogate", char: "\ud800" },
  { why: "a lone low surrogate", char: "\udc00" },
];

describe.each(METHODS)("%s: field rules", (method) => {
  it.each(ACCEPTED)(`accepts $field with $why`, async ({ field, value, stored }: Accepted) => {
    const target = await targetFor(method);
    const customer = await expectAccepted(target, { [field]: value });
    expect(customer[field]).toEqual(stored);
  });

  it.each(REJECTED)(`rejects $field with $why`, async ({ field, value }) => {
    const target = await targetFor(method);
    await expectRejected(target, { [field]: value }, [`/${field}`]);
  });

  it.each(BAD_CHARACTERS)("rejects $why in every string field at once, naming each", async ({ char }) => {
    const target = await targetFor(method);
    const body: Record<string, unknown> = Object.fromEntries(
      STRING_FIELDS.map((field) => [field, TEMPLATES[field].replace("{}", char)]),
    );
    body.metadata = { [`key${char}`]: 1, ok: `value${char}` };
    const pointers = [...STRING_FIELDS.map((field) => `/${field}`), `/metadata/key${char}`, "/metadata/ok"];
    if (method === "POST") {
      body.id = TEMPLATES.id.replace("{}", char);
      pointers.push("/id");
    }
    await expectRejected(target, body, pointers);
  });

  it.each([
    { why: "numbers", value: 42 },
    { why: "booleans", value: true },
    { why: "objects", value: { value: "x" } },
    { why: "arrays", value: ["x"] },
  ])("rejects $why in every string field at once, naming each", async ({ value }) => {
    const target = await targetFor(method);
    const body: Record<string, unknown> = Object.fromEntries(STRING_FIELDS.map((field) => [field, value]));
    const pointers = STRING_FIELDS.map((field) => `/${field}`);
    if (method === "POST") {
      body.id = value;
      pointers.push("/id");
    }
    await expectRejected(target, body, pointers);
  });

  it.each(STRING_FIELDS)("accepts null for %s and stores null", async (field) => {
    const target = await targetFor(method);
    const customer = await expectAccepted(target, { [field]: null });
    expect(customer[field]).toBeNull();
  });

  it("names every wrong field when several are wrong at once", async () => {
    const target = await targetFor(method);
    await expectRejected(
      target,
      {
        name: "",
        display_name: astral(101),
        email: "not-an-email",
        username: "has space",
        language: "en_US",
        timezone: "+01:00",
        mail_marketing: "yes",
        metadata: { "bad[key]": 1, nested: { a: 1 }, long: "x".repeat(501), fine: "ok" },
        favourite_colour: "blue",
        object: "customer",
      },
      [
        "/name",
        "/display_name",
        "/email",
        "/username",
        "/language",
        "/timezone",
        "/mail_marketing",
        "/metadata/bad[key]",
        "/metadata/nested",
        "/metadata/long",
        "/favourite_colour",
        "/object",
      ],
    );
  });

  it.each([
    { field: "favourite_colour", value: "blue" },
    { field: "Name", value: "Jenny" },
    { field: "email_address", value: "jenny@example.com" },
    { field: "unknown_null", value: null },
    { field: "a/b", value: 1, pointer: "/a~1b" },
    { field: "object", value: "customer" },
    { field: "created_at", value: "2026-11-22T15:04:05.123Z" },
    { field: "updated_at", value: "2026-11-22T15:04:05.123Z" },
    { field: "has_payment_method", value: true },
    { field: "has_payment_method", value: false },
  ])("rejects the unknown or read-only field $field = $value", async ({ field, value, pointer }) => {
    const target = await targetFor(method);
    await expectRejected(target, { name: "Valid Name", [field]: value }, [pointer ?? `/${field}`]);
  });

  it("accepts skip_email_dns_validation (spec §3) and never stores it", async () => {
    const target = await targetFor(method);
    const customer = await expectAccepted(target, { email: "dns@example.com", skip_email_dns_validation: true });
    expect(customer.email).toBe("dns@example.com");
    expect(customer).not.toHaveProperty("skip_email_dns_validation");
  });
});
