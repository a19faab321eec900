import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestingDepthExceeds } from "../src/middleware/json-depth";
import { type Called, call, createCustomer, newOrganization, type Problem } from "./helpers";
import { createEndpoint, signatureHeaders } from "./webhooks-helpers";

/** 30,000 nested arrays: 60 KB, under every body limit. */
const DEEP_ARRAYS = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
/** 8,000 nested objects. */
const DEEP_OBJECTS = `${'{"a":'.repeat(8_000)}1${"}".repeat(8_000)}`;
/** A create body nesting exactly `depth` levels. */
const nested = (depth: number) => `{"metadata":${'{"a":'.repeat(depth - 1)}1${"}".repeat(depth)}`;

function expectTooDeep(response: Called<Problem>) {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status: 400, code: "validation_failed" });
  expect(response.body.errors).toEqual([{ pointer: "", detail: expect.stringContaining(`${MAX_JSON_DEPTH}`) }]);
}

const send = (method: string, path: string, key: string | null, body: string, headers: Record<string, string> = {}) =>
  call<Problem>(method, path, { key, rawBody: body, headers: { "Content-Type": "application/json", ...headers } });

describe("JSON nesting depth", () => {
  it("counts depth without recursion, ignoring brackets inside strings", () => {
    expect(nestingDepthExceeds(DEEP_ARRAYS, 32)).toBe(true);
    expect(nestingDepthExceeds(nested(32), 32)).toBe(false);
    expect(nestingDepthExceeds(nested(33), 32)).toBe(true);
    expect(nestingDepthExceeds(JSON.stringify({ a: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" }), 32)).toBe(false);
    expect(nestingDepthExceeds(JSON.stringify({ a: '\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' }), 32)).toBe(false);
  });

  it.each([
    ["30,000 nested arrays", DEEP_ARRAYS],
    ["8,000 nested objects", DEEP_OBJECTS],
  ])("400 validation_failed on every body-reading route (%s)", async (_label, body) => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { alternative_id: "deep-1" });
    const routes: [string, string][] = [
      ["POST", "/v1/customers"],
      ["PATCH", `/v1/customers/${customer.id}`],
      ["PUT", `/v1/customers/${customer.id}`],
      ["POST", "/v1/customers/provision"],
      ["POST", "/v1/customers/import"],
      ["POST", `/v1/customers/${customer.id}/addresses`],
      ["POST", "/v1/webhook_endpoints"],
    ];
    for (const [method, path] of routes) expectTooDeep(await send(method, path, key, body));

    // Webhook intake: before the signature is even looked at (this one is unsigned).
    const endpoint = await createEndpoint(key);
    expectTooDeep(await send("POST", `/v1/webhooks/${endpoint.id}`, null, body));
    expectTooDeep(
      await send("POST", `/v1/webhooks/${endpoint.id}`, null, body, signatureHeaders(endpoint.secret, body)),
    );
  });

  it("32 levels are fine, 33 are not", async () => {
    const { key } = await newOrganization();
    const ok = await send("POST", "/v1/customers", key, nested(32));
    expect(ok.status).toBe(400); // metadata values must be strings: the schema, not the depth check
    expect(ok.body.errors?.[0]?.pointer).toBe("/metadata/a");
    expectTooDeep(await send("POST", "/v1/customers", key, nested(33)));
  });
});
