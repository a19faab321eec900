import { describe, expect, it } from "vitest";
import { parseIdempotencyKey } from "../src/idempotency/header";
import { ApiError } from "../src/lib/errors";
import { call, newOrganization, type Problem } from "./helpers";
import { customerCount, keyed, keyRowCount } from "./idempotency-helpers";

/** The Idempotency-Key header's syntax, and where the OpenAPI document declares it. */

describe("the Idempotency-Key header", () => {
  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["256 characters, quoted", `"${"k".repeat(256)}"`],
    ["non-ASCII", "clé"],
    ["a control character", "a\u0001b"],
    ["DEL", "a\u007fb"],
    ["an empty quoted string", '""'],
    ["an unterminated quoted string", '"abc'],
    ["a quote inside a quoted string", '"a"b"'],
    ["a bad escape in a quoted string", '"a\\nb"'],
  ])("%s is 400 idempotency_key_invalid and runs nothing", async (_, value) => {
    const { orgId, key } = await newOrganization();
    const response = await keyed<Problem>("POST", "/v1/customers", value, { key, body: { name: "A" } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("idempotency_key_invalid");
    expect(await customerCount(orgId)).toBe(0);
    expect(await keyRowCount()).toBe(0);
  });

  it("255 printable characters, spaces and symbols included, are a valid key", async () => {
    const { key } = await newOrganization();
    const long = `${"k".repeat(250)} !~"x`;
    expect(long).toHaveLength(255);
    const first = await keyed("POST", "/v1/customers", long, { key, body: {} });
    expect(first.status).toBe(201);
    const again = await keyed("POST", "/v1/customers", long, { key, body: {} });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it('a quoted key ("…") is the same key as the bare one', async () => {
    const { orgId, key } = await newOrganization();
    const quoted = await keyed("POST", "/v1/customers", '"order-7"', { key, body: { name: "A" } });
    expect(quoted.status).toBe(201);
    const bare = await keyed("POST", "/v1/customers", "order-7", { key, body: { name: "A" } });
    expect(bare.headers.get("Idempotent-Replayed")).toBe("true");
    expect(bare.text).toBe(quoted.text);
    const escaped = await keyed("POST", "/v1/customers", '"say \\"hi\\""', { key, body: { name: "B" } });
    expect(escaped.status).toBe(201);
    const unescaped = await keyed("POST", "/v1/customers", 'say "hi"', { key, body: { name: "B" } });
    expect(unescaped.text).toBe(escaped.text);
    expect(await customerCount(orgId)).toBe(2);
  });

  it("parses the forms the draft allows", () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey("abc")).toBe("abc");
    expect(parseIdempotencyKey('"abc"')).toBe("abc");
    expect(parseIdempotencyKey('"a\\\\b"')).toBe("a\\b");
    expect(parseIdempotencyKey('ab"c')).toBe('ab"c');
    expect(parseIdempotencyKey(`"${"x".repeat(255)}"`)).toHaveLength(255);
    expect(() => parseIdempotencyKey('"abc\\"')).toThrow(ApiError);
    expect(() => parseIdempotencyKey('"')).toThrow(ApiError);
    expect(() => parseIdempotencyKey("a\tb")).toThrow(ApiError);
  });
});

describe("the OpenAPI document", () => {
  type Operation = {
    security?: Record<string, unknown>[];
    parameters?: { name: string; in: string }[];
    responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  };

  it("declares Idempotency-Key on exactly the API-key writes, with the replay header and the key problems", async () => {
    const document = (await call<{ paths: Record<string, Record<string, Operation>> }>("GET", "/v1/openapi.json")).body;
    let declared = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const isWrite = ["post", "patch", "put", "delete"].includes(method);
        const usesApiKey = (operation.security ?? []).some((scheme) => "bearerAuth" in scheme);
        const hasHeader = (operation.parameters ?? []).some(
          (parameter) => parameter.in === "header" && parameter.name === "Idempotency-Key",
        );
        expect(hasHeader, `${method} ${path}`).toBe(isWrite && usesApiKey);
        if (!hasHeader) continue;
        declared++;
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
        expect(success.length).toBeGreaterThan(0);
        for (const [, response] of success)
          expect(Object.keys(response.headers ?? {})).toContain("Idempotent-Replayed");
        expect(operation.responses["400"]?.description).toContain("idempotency_key_invalid");
        expect(operation.responses["409"]?.description).toContain("idempotency_request_in_progress");
        expect(operation.responses["422"]?.description).toContain("idempotency_key_reused");
        expect(operation.responses["401"]?.headers ?? {}).not.toHaveProperty("Idempotent-Replayed");
      }
    }
    expect(declared).toBeGreaterThanOrEqual(10);
    expect(document.paths["/v1/organizations"]?.post?.parameters ?? []).not.toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key" }),
    );
  });
});
