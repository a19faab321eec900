import { describe, expect, it } from "vitest";
import { altPath, type Called, call, createCustomer, newOrganization } from "./helpers";

/*
 * Spec §2 field rules at their boundaries, through POST /v1/customers and
 * PATCH / PUT /v1/customers/{id}. Every rejection must be a 400 validation_failed problem
 * whose `errors` point (JSON Pointer) at exactly the offending fields, and must store nothing.
 */

// ---------------------------------------------------------------------------------------
// Values

/** One code point, two UTF-16 units, four UTF-8 bytes: lengths must count code points. */
const EMOJI = "😀";
const astral = (codePoints: number) => EMOJI.repeat(codePoints);

/** A domain of `length` characters: LDH labels of at most 63, ending in ".com". */
const domainOf = (length: number) => `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(length - 132)}.com`;
const LOCAL_64 = "l".repeat(64);
const EMAIL_254 = `${LOCAL_64}@${domainOf(189)}`;
const EMAIL_255 = `${LOCAL_64}@${domainOf(190)}`;

const PHONE_20_DIGITS = "12345678901234567890";
const PHONE_32_CHARS = "+44 (0) 20 7946 0958 ext. 123456"; // 19 digits
const PHONE_33_CHARS = "+44 (0) 20 7946 0958 ext. 1234567"; // 20 digits, one char too long

const LANGUAGE_35 = "en-x-abcdefgh-abcdefgh-abcdefgh-abc";
const LANGUAGE_36 = `${LANGUAGE_35}d`;

const metadataOf = (count: number, prefix = "k") =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

/** Every string field of the profile (what PATCH and PUT accept besides booleans and metadata). */
const STRING_FIELDS = [
  "alternative_id",
  "email",
  "name",
  "first_name",
  "last_name",
  "display_name",
  "username",
  "phone",
  "company",
  "language",
  "timezone",
  "coupon_id",
] as const;

/** A valid value per string field, with `{}` marking where a bad character can be put. */
const TEMPLATES: Record<(typeof STRING_FIELDS)[number] | "id", string> = {
  id: "cus{}1",
  alternative_id: "alt{}1",
  email: "jen{}ny@example.com",
  name: "Jen{}ny",
  first_name: "Jen{}ny",
  last_name: "D{}oe",
  display_name: "je{}nny",
  username: "jenny{}_doe",
  phone: "+1 111{}-867-5309",
  company: "Ac{}me",
  language: "e{}n",
  timezone: "Europe/{}Paris",
  coupon_id: "SUMM{}ER",
};

/** The customer PATCH and PUT tests start from. */
const BASELINE = {
  alternative_id: "baseline-alt",
  email: "base@example.com",
  name: "Base Line",
  first_name: "Base",
  last_name: "Line",
  display_name: "base",
  username: "base_line",
  phone: "+1 555 0100",
  company: "Base Inc.",
  language: "fr",
  timezone: "Europe/Paris",
  mail_marketing: true,
  tele_marketing: true,
  coupon_id: "BASE10",
  metadata: { keep: "yes", n: 1 },
};

// ---------------------------------------------------------------------------------------
// Helpers

type Method = "POST" | "PATCH" | "PUT";
const METHODS: Method[] = ["POST", "PATCH", "PUT"];

type Target = {
  key: string;
  /** The customer PATCH/PUT write to (null for POST). */
  id: string | null;
  send: (body: unknown) => Promise<Called>;
  /** Everything a write could have changed: the list for POST, the customer and its ETag otherwise. */
  snapshot: () => Promise<unknown>;
  /** The stored customer the last successful write produced. */
  read: (written: Called) => Promise<any>;
};

async function targetFor(method: Method): Promise<Target> {
  const { key } = await newOrganization();
  const get = async (id: string) => {
    const response = await call("GET", `/v1/customers/${encodeURIComponent(id)}`, { key });
    expect(response.status).toBe(200);
    return response;
  };
  if (method === "POST") {
    return {
      key,
      id: null,
      send: (body) => call("POST", "/v1/customers", { key, body }),
      snapshot: async () => {
        const list = await call("GET", "/v1/customers?limit=100", { key });
        expect(list.status).toBe(200);
        return list.body.data;
      },
      read: async (written) => (await get(written.body.id)).body,
    };
  }
  const { id } = await createCustomer(key, BASELINE);
  return {
    key,
    id,
    send: (body) => call(method, `/v1/customers/${encodeURIComponent(id)}`, { key, body }),
    snapshot: async () => {
      const current = await get(id);
      return { etag: current.headers.get("ETag"), body: current.body };
    },
    read: async () => (await get(id)).body,
  };
}

/** A 400 validation_failed problem whose errors point at exactly `pointers` (order free). */
function expectValidationFailed(response: Called, pointers: string[]) {
  expect(response.status, response.text).toBe(400);
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  expect(response.body).toMatchObject({
    type: "/docs/problems#validation_failed",
    status: 400,
    code: "validation_failed",
  });
  expect(Array.isArray(response.body.errors), response.text).toBe(true);
  for (const error of response.body.errors) {
    expect(typeof error.detail).toBe("string");
    expect(error.detail.length).toBeGreaterThan(0);
  }
  const got = [...new Set(response.body.errors.map((error: { pointer: string }) => error.pointer))].sort();
  expect(got).toEqual([...new Set(pointers)].sort());
}

/** Sends `body` and expects the rejection to name exactly `pointers` and to change nothing. */
async function expectRejected(target: Target, body: unknown, pointers: string[]) {
  const before = await target.snapshot();
  expectValidationFailed(await target.send(body), pointers);
  expect(await target.snapshot()).toEqual(before);
}

/** Sends `body`, expects success, and returns the customer as stored (read back with GET). */
async function expectAccepted(target: Target, body: unknown) {
  const response = await target.send(body);
  expect(response.status, response.text).toBe(target.id === null ? 201 : 200);
  const stored = await target.read(response);
  expect(stored).toEqual(response.body);
  return stored;
}

// ---------------------------------------------------------------------------------------
// Tables

type Accepted = { field: string; why: string; value: unknown; stored: unknown };

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

type MetadataRejected = { why: string; metadata: Record<string, unknown>; pointer: string };

const METADATA_REJECTED: MetadataRejected[] = [
  { why: "51 keys", metadata: metadataOf(51), pointer: "/metadata" },
  { why: "a 41-code-point key", metadata: { [astral(41)]: 1 }, pointer: `/metadata/${astral(41)}` },
  { why: "an empty key", metadata: { "": 1 }, pointer: "/metadata/" },
  { why: "a key with '['", metadata: { "a[b": 1 }, pointer: "/metadata/a[b" },
  { why: "a key with ']'", metadata: { "a]": 1 }, pointer: "/metadata/a]" },
  { why: "a key '[]'", metadata: { "[]": 1 }, pointer: "/metadata/[]" },
  { why: "a key with NUL", metadata: { "a\u0000": 1 }, pointer: "/metadata/a\u0000" },
  { why: "a key with a newline", metadata: { "a\nb": 1 }, pointer: "/metadata/a\nb" },
  { why: "a key with a lone surrogate", metadata: { "a\ud800": 1 }, pointer: "/metadata/a\ud800" },
  { why: "a 501-code-point value", metadata: { note: astral(501) }, pointer: "/metadata/note" },
  { why: "an empty string value", metadata: { note: "" }, pointer: "/metadata/note" },
  { why: "a value with NUL", metadata: { note: "a\u0000" }, pointer: "/metadata/note" },
  { why: "a value with DEL", metadata: { note: "a\u007f" }, pointer: "/metadata/note" },
  { why: "a value with a lone surrogate", metadata: { note: "a\udc00" }, pointer: "/metadata/note" },
  { why: "an empty object value", metadata: { nested: {} }, pointer: "/metadata/nested" },
  { why: "an object value", metadata: { nested: { a: 1 } }, pointer: "/metadata/nested" },
  { why: "an empty array value", metadata: { list: [] }, pointer: "/metadata/list" },
  { why: "an array value", metadata: { list: [1, 2] }, pointer: "/metadata/list" },
  { why: "a '/' in the key (escaped ~1)", metadata: { "a/b": {} }, pointer: "/metadata/a~1b" },
  { why: "a '~' in the key (escaped ~0)", metadata: { "m~n": [] }, pointer: "/metadata/m~0n" },
  // JSON allows it, JavaScript objects cannot hold it as data: refused, never silently dropped.
  { why: "the key __proto__", metadata: JSON.parse('{"__proto__": "p", "other": 1}'), pointer: "/metadata/__proto__" },
];

type MetadataAccepted = { why: string; metadata: Record<string, unknown>; stored: Record<string, unknown> };

const METADATA_ACCEPTED: MetadataAccepted[] = [
  { why: "50 keys", metadata: metadataOf(50), stored: metadataOf(50) },
  { why: "a 40-code-point key", metadata: { [astral(40)]: "x" }, stored: { [astral(40)]: "x" } },
  { why: "a 1-character key", metadata: { k: "x" }, stored: { k: "x" } },
  { why: "a 500-code-point value", metadata: { note: astral(500) }, stored: { note: astral(500) } },
  { why: "a non-ASCII key", metadata: { "clé é": "v" }, stored: { "clé é": "v" } },
  { why: "dots, slashes and spaces in keys", metadata: { "a.b/c d": "v" }, stored: { "a.b/c d": "v" } },
  {
    why: "numbers",
    metadata: { zero: 0, negative: -1.5, big: 1e308, tiny: 5e-324 },
    stored: { zero: 0, negative: -1.5, big: 1e308, tiny: 5e-324 },
  },
  { why: "booleans", metadata: { yes: true, no: false }, stored: { yes: true, no: false } },
  {
    why: "keys named like Object.prototype members",
    metadata: { constructor: "c", toString: "t", hasOwnProperty: "h" },
    stored: { constructor: "c", toString: "t", hasOwnProperty: "h" },
  },
  { why: "an empty object", metadata: {}, stored: {} },
];

// ---------------------------------------------------------------------------------------
// Tests

describe.each(METHODS)("%s: field rules", (method) => {
  it.each(ACCEPTED)(`accepts $field with $why`, async ({ field, value, stored }) => {
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

  it.each(METADATA_ACCEPTED)("accepts metadata with $why", async ({ metadata, stored }) => {
    const target = await targetFor(method);
    // PATCH merges: empty the baseline's metadata first so that the result is what was sent.
    if (method === "PATCH") expect((await expectAccepted(target, { metadata: null })).metadata).toEqual({});
    const customer = await expectAccepted(target, { metadata });
    expect(customer.metadata).toEqual(stored);
    expect(Object.keys(customer.metadata).sort()).toEqual(Object.keys(stored).sort());
  });

  it.each(METADATA_REJECTED)("rejects metadata with $why at its pointer", async ({ metadata, pointer }) => {
    const target = await targetFor(method);
    await expectRejected(target, { metadata }, [pointer]);
  });

  it("rejects a non-finite metadata number (1e999 parses as Infinity)", async () => {
    const target = await targetFor(method);
    const before = await target.snapshot();
    const path = target.id === null ? "/v1/customers" : `/v1/customers/${target.id}`;
    const response = await call(method, path, {
      key: target.key,
      rawBody: '{"metadata":{"huge":1e999}}',
      headers: { "Content-Type": "application/json" },
    });
    expectValidationFailed(response, ["/metadata/huge"]);
    expect(await target.snapshot()).toEqual(before);
  });

  it("accepts skip_email_dns_validation (spec §3) and never stores it", async () => {
    const target = await targetFor(method);
    const customer = await expectAccepted(target, { email: "dns@example.com", skip_email_dns_validation: true });
    expect(customer.email).toBe("dns@example.com");
    expect(customer).not.toHaveProperty("skip_email_dns_validation");
  });
});

describe("POST /v1/customers: id and defaults", () => {
  it.each([
    { why: "1 character", id: "a" },
    { why: "255 characters", id: "i".repeat(255) },
    { why: "the whole charset", id: "AZaz09_-.:@" },
    { why: "an email-like id", id: "user:42@acme.example" },
    { why: "three dots", id: "..." },
    { why: "a dot prefix", id: ".hidden" },
    { why: "a reserved word as a prefix", id: "provisioning" },
    { why: "a reserved word with a suffix", id: "import-1" },
  ])("accepts the id with $why, and GET finds it", async ({ id }) => {
    const { key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: { id } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.id).toBe(id);
    expect(created.headers.get("Location")).toBe(`/v1/customers/${encodeURIComponent(id)}`);
    const fetched = await call("GET", `/v1/customers/${encodeURIComponent(id)}`, { key });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
  });

  it.each([
    { why: "256 characters", id: "i".repeat(256) },
    { why: "an empty string", id: "" },
    { why: "a space", id: "a b" },
    { why: "a slash", id: "a/b" },
    { why: "a hash", id: "a#b" },
    { why: "a question mark", id: "a?b" },
    { why: "a percent sign", id: "a%20b" },
    { why: "a plus", id: "a+b" },
    { why: "non-ASCII", id: "é" },
    { why: "an astral character", id: EMOJI },
    { why: "a trailing newline", id: "abc\n" },
    { why: "the reserved word 'provision'", id: "provision" },
    { why: "the reserved word 'import'", id: "import" },
    { why: "the reserved word 'alternative-id'", id: "alternative-id" },
    { why: "the dot segment '.'", id: "." },
    { why: "the dot segment '..'", id: ".." },
    { why: "null", id: null },
    { why: "a number", id: 42 },
  ])("rejects the id with $why at /id", async ({ id }) => {
    const target = await targetFor("POST");
    await expectRejected(target, { id, name: "Valid" }, ["/id"]);
  });

  it("generates a cus_ id and defaults every field when the body is {}", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, {});
    expect(customer.id).toMatch(/^cus_[0-9A-Za-z]+$/);
    expect(customer).toMatchObject({
      object: "customer",
      mail_marketing: false,
      tele_marketing: false,
      metadata: {},
      has_payment_method: false,
    });
    for (const field of STRING_FIELDS) expect(customer[field]).toBeNull();
  });

  it("stores null booleans as false", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { mail_marketing: null, tele_marketing: null });
    expect(customer.mail_marketing).toBe(false);
    expect(customer.tele_marketing).toBe(false);
  });

  it("leaves metadata keys sent as null out on create", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { metadata: { gone: null, kept: "v" } });
    expect(customer.metadata).toEqual({ kept: "v" });
    expect(Object.keys(customer.metadata)).toEqual(["kept"]);
  });

  it("stores metadata: null on create as empty metadata", async () => {
    const target = await targetFor("POST");
    const customer = await expectAccepted(target, { metadata: null });
    expect(customer.metadata).toEqual({});
  });

  it.each([
    ["a slash", "org/42"],
    ["spaces", "user 42"],
    ["a percent sign", "100%"],
    ["a plus", "a+b"],
    ["non-ASCII", "ユーザー"],
    ["256 astral code points", astral(256)],
  ])("finds an alternative_id with %s by its URL-encoded path", async (_why, alternativeId) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { alternative_id: alternativeId });
    const fetched = await call("GET", altPath(alternativeId), { key });
    expect(fetched.status, fetched.text).toBe(200);
    expect(fetched.body.id).toBe(created.id);
    expect(fetched.body.alternative_id).toBe(alternativeId);
  });
});

describe.each(["PATCH", "PUT"] as const)("%s: the id is immutable", (method) => {
  it.each([
    ["the same id", "same"],
    ["another id", "other"],
    ["null", "null"],
  ])("rejects an id in the body (%s) at /id", async (_why, which) => {
    const target = await targetFor(method);
    const id = which === "same" ? target.id : which === "other" ? "cus_other" : null;
    await expectRejected(target, { id, name: "Valid" }, ["/id"]);
  });

  it("names the id as read-only, not as an unknown field", async () => {
    const target = await targetFor(method);
    const response = await target.send({ id: target.id, name: "Valid" });
    expect(response.body.errors).toEqual([{ pointer: "/id", detail: "is read-only and cannot be sent" }]);
  });
});

describe("PATCH: only the fields sent change", () => {
  it("keeps every field that is not sent", async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { name: "New Name" });
    expect(customer).toMatchObject({ ...BASELINE, name: "New Name" });
  });

  it.each(STRING_FIELDS)("clears %s with null and keeps the rest", async (field) => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { [field]: null });
    expect(customer).toMatchObject({ ...BASELINE, [field]: null });
  });

  it.each(["mail_marketing", "tele_marketing"])("resets %s to false with null", async (field) => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { [field]: null });
    expect(customer[field]).toBe(false);
    expect(customer).toMatchObject({ ...BASELINE, [field]: false });
  });

  it("stores the language canonicalized on update", async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { language: "EN-us" });
    expect(customer.language).toBe("en-US");
  });
});

describe("PATCH: metadata merges key by key", () => {
  it.each([
    { why: "adds and overwrites keys", metadata: { n: 2, added: true }, stored: { keep: "yes", n: 2, added: true } },
    { why: "removes a key sent as null", metadata: { keep: null }, stored: { n: 1 } },
    { why: "ignores null for an absent key", metadata: { absent: null }, stored: { keep: "yes", n: 1 } },
    { why: "changes nothing with {}", metadata: {}, stored: { keep: "yes", n: 1 } },
    { why: "removes and adds at once", metadata: { keep: null, n: null, x: "y" }, stored: { x: "y" } },
  ])("$why", async ({ metadata, stored }) => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { metadata });
    expect(customer.metadata).toEqual(stored);
    expect(Object.keys(customer.metadata).sort()).toEqual(Object.keys(stored).sort());
  });

  it('removes all keys with "metadata": null', async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { metadata: null });
    expect(customer.metadata).toEqual({});
  });

  it("keeps metadata when the body does not send it", async () => {
    const target = await targetFor("PATCH");
    const customer = await expectAccepted(target, { name: "Other" });
    expect(customer.metadata).toEqual(BASELINE.metadata);
  });

  async function customerWith50Keys() {
    const { key } = await newOrganization();
    const { id } = await createCustomer(key, { metadata: metadataOf(50) });
    const path = `/v1/customers/${id}`;
    return { key, id, path };
  }

  it("rejects a merge that would exceed 50 keys at /metadata and stores nothing", async () => {
    const { key, path } = await customerWith50Keys();
    const before = await call("GET", path, { key });
    const response = await call("PATCH", path, { key, body: { name: "Changed", metadata: { one_more: 1 } } });
    expectValidationFailed(response, ["/metadata"]);
    const after = await call("GET", path, { key });
    expect(after.body).toEqual(before.body);
    expect(after.body.name).toBeNull();
    expect(Object.keys(after.body.metadata)).toHaveLength(50);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
  });

  it("accepts a merge that adds one key and removes another, staying at 50", async () => {
    const { key, path } = await customerWith50Keys();
    const response = await call("PATCH", path, { key, body: { metadata: { k0: null, one_more: 1 } } });
    expect(response.status, response.text).toBe(200);
    expect(Object.keys(response.body.metadata)).toHaveLength(50);
    expect(response.body.metadata).not.toHaveProperty("k0");
    expect(response.body.metadata.one_more).toBe(1);
  });

  it("accepts overwriting all 50 existing keys", async () => {
    const { key, path } = await customerWith50Keys();
    const response = await call("PATCH", path, { key, body: { metadata: metadataOf(50) } });
    expect(response.status, response.text).toBe(200);
    expect(response.body.metadata).toEqual(metadataOf(50));
  });
});

describe("PUT: a full replace", () => {
  it("resets every field not sent, except alternative_id", async () => {
    const target = await targetFor("PUT");
    const customer = await expectAccepted(target, { name: "Only Name" });
    expect(customer).toMatchObject({
      alternative_id: BASELINE.alternative_id,
      email: null,
      name: "Only Name",
      first_name: null,
      last_name: null,
      display_name: null,
      username: null,
      phone: null,
      company: null,
      language: null,
      timezone: null,
      mail_marketing: false,
      tele_marketing: false,
      coupon_id: null,
      metadata: {},
    });
  });

  it.each([
    { why: "replaces the keys", metadata: { x: 1 }, stored: { x: 1 } },
    { why: "leaves keys sent as null out", metadata: { keep: null, y: "z" }, stored: { y: "z" } },
    { why: "empties it with {}", metadata: {}, stored: {} },
    { why: "empties it with null", metadata: null, stored: {} },
    { why: "takes 50 new keys over 2 old ones", metadata: metadataOf(50, "new"), stored: metadataOf(50, "new") },
  ])("metadata: $why", async ({ metadata, stored }) => {
    const target = await targetFor("PUT");
    const customer = await expectAccepted(target, { metadata });
    expect(customer.metadata).toEqual(stored);
    expect(Object.keys(customer.metadata).sort()).toEqual(Object.keys(stored).sort());
  });

  it("replaces 50 keys with 50 different ones (no merge limit applies)", async () => {
    const { key } = await newOrganization();
    const { id } = await createCustomer(key, { metadata: metadataOf(50, "old") });
    const response = await call("PUT", `/v1/customers/${id}`, { key, body: { metadata: metadataOf(50, "new") } });
    expect(response.status, response.text).toBe(200);
    expect(response.body.metadata).toEqual(metadataOf(50, "new"));
  });

  it("changes alternative_id when the body sends it, and clears it with null", async () => {
    const target = await targetFor("PUT");
    expect((await expectAccepted(target, { alternative_id: "renamed" })).alternative_id).toBe("renamed");
    expect((await expectAccepted(target, { alternative_id: null })).alternative_id).toBeNull();
  });
});
