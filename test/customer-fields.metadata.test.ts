import { describe, expect, it } from "vitest";
import {
  astral,
  BASELINE,
  expectAccepted,
  expectRejected,
  METHODS,
  metadataOf,
  targetFor,
} from "./customer-fields-helpers";
import { type CustomerObject, call, createCustomer, expectValidationFailed, newOrganization } from "./helpers";

/** Spec §2 metadata rules through POST, PATCH and PUT, and how PATCH merges it (see customer-fields-helpers.ts). */

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

describe.each(METHODS)("%s: field rules", (method) => {
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
    const response = await call<CustomerObject>(method, path, {
      key: target.key,
      rawBody: '{"metadata":{"huge":1e999}}',
      headers: { "Content-Type": "application/json" },
    });
    expectValidationFailed(response, ["/metadata/huge"]);
    expect(await target.snapshot()).toEqual(before);
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
    const before = await call<CustomerObject>("GET", path, { key });
    const response = await call<CustomerObject>("PATCH", path, {
      key,
      body: { name: "Changed", metadata: { one_more: 1 } },
    });
    expectValidationFailed(response, ["/metadata"]);
    const after = await call<CustomerObject>("GET", path, { key });
    expect(after.body).toEqual(before.body);
    expect(after.body.name).toBeNull();
    expect(Object.keys(after.body.metadata)).toHaveLength(50);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
  });

  it("accepts a merge that adds one key and removes another, staying at 50", async () => {
    const { key, path } = await customerWith50Keys();
    const response = await call<CustomerObject>("PATCH", path, { key, body: { metadata: { k0: null, one_more: 1 } } });
    expect(response.status, response.text).toBe(200);
    expect(Object.keys(response.body.metadata)).toHaveLength(50);
    expect(response.body.metadata).not.toHaveProperty("k0");
    expect(response.body.metadata.one_more).toBe(1);
  });

  it("accepts overwriting all 50 existing keys", async () => {
    const { key, path } = await customerWith50Keys();
    const response = await call<CustomerObject>("PATCH", path, { key, body: { metadata: metadataOf(50) } });
    expect(response.status, response.text).toBe(200);
    expect(response.body.metadata).toEqual(metadataOf(50));
  });
});
