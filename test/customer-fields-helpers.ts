import { expect } from "vitest";
import {
  type Called,
  type CustomerObject,
  call,
  createCustomer,
  customerPath,
  expectValidationFailed,
  getCustomer,
  listCustomers,
  newOrganization,
} from "./helpers";

/*
 * Shared by the customer-fields.*.test.ts files: spec §2 field rules at their boundaries,
 * through POST /v1/customers and PATCH / PUT /v1/customers/{id}. Every rejection must be a
 * 400 validation_failed problem whose `errors` point (JSON Pointer) at exactly the offending
 * fields, and must store nothing.
 */

// ---------------------------------------------------------------------------------------
// Values

/** One code point, two UTF-16 units, four UTF-8 bytes: lengths must count code points. */
export const EMOJI = "😀";
export const astral = (codePoints: number) => EMOJI.repeat(codePoints);

/** A domain of `length` characters: LDH labels of at most 63, ending in ".com". */
export const domainOf = (length: number) => `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(length - 132)}.com`;
export const LOCAL_64 = "l".repeat(64);
export const EMAIL_254 = `${LOCAL_64}@${domainOf(189)}`;
export const EMAIL_255 = `${LOCAL_64}@${domainOf(190)}`;

export const PHONE_20_DIGITS = "12345678901234567890";
export const PHONE_32_CHARS = "+44 (0) 20 7946 0958 ext. 123456"; // 19 digits
export const PHONE_33_CHARS = "+44 (0) 20 7946 0958 ext. 1234567"; // 20 digits, one char too long

export const LANGUAGE_35 = "en-x-abcdefgh-abcdefgh-abcdefgh-abc";
export const LANGUAGE_36 = `${LANGUAGE_35}d`;

export const metadataOf = (count: number, prefix = "k") =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i]));

/** Every string field of the profile (what PATCH and PUT accept besides booleans and metadata). */
export const STRING_FIELDS = [
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
export const TEMPLATES: Record<(typeof STRING_FIELDS)[number] | "id", string> = {
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
export const BASELINE = {
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

export type Method = "POST" | "PATCH" | "PUT";
export const METHODS: Method[] = ["POST", "PATCH", "PUT"];

export type Target = {
  key: string;
  /** The customer PATCH/PUT write to (null for POST). */
  id: string | null;
  /** Sends `body`; `T` is the body expected back (the customer, unless the test expects a problem). */
  send: <T = CustomerObject>(body: unknown) => Promise<Called<T>>;
  /** Everything a write could have changed: the list for POST, the customer and its ETag otherwise. */
  snapshot: () => Promise<unknown>;
  /** The stored customer the last successful write produced. */
  read: (written: Called<CustomerObject>) => Promise<CustomerObject>;
};

export async function targetFor(method: Method): Promise<Target> {
  const { key } = await newOrganization();
  const get = async (id: string) => {
    const response = await getCustomer(key, id);
    expect(response.status).toBe(200);
    return response;
  };
  if (method === "POST") {
    return {
      key,
      id: null,
      send: <T = CustomerObject>(body: unknown) => call<T>("POST", "/v1/customers", { key, body }),
      snapshot: async () => {
        const list = await listCustomers(key, { limit: 100 });
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
    send: <T = CustomerObject>(body: unknown) => call<T>(method, customerPath(id), { key, body }),
    snapshot: async () => {
      const current = await get(id);
      return { etag: current.headers.get("ETag"), body: current.body };
    },
    read: async () => (await get(id)).body,
  };
}

/** Sends `body` and expects the rejection to name exactly `pointers` and to change nothing. */
export async function expectRejected(target: Target, body: unknown, pointers: string[]) {
  const before = await target.snapshot();
  expectValidationFailed(await target.send(body), pointers);
  expect(await target.snapshot()).toEqual(before);
}

/** Sends `body`, expects success, and returns the customer as stored (read back with GET). */
export async function expectAccepted(target: Target, body: unknown): Promise<CustomerObject> {
  const response = await target.send(body);
  expect(response.status, response.text).toBe(target.id === null ? 201 : 200);
  const stored = await target.read(response);
  expect(stored).toEqual(response.body);
  return stored;
}
