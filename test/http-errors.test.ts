import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { toApiError } from "../src/lib/create-app";
import { StorageUnavailable } from "../src/lib/storage-errors";
import { ADMIN_TOKEN, altPath, type Called, call, createCustomer, expectProblem, newOrganization } from "./helpers";

const KiB = 1024;
const LIMIT = 64 * KiB;
const GENERATED_REQUEST_ID = /^req_[A-Za-z0-9]+$/;
const PROBLEM_KEYS = ["code", "detail", "request_id", "status", "title", "type"];

/** `{` + spaces + `}`: valid JSON for `{}` of exactly `size` bytes. */
const paddedEmptyObject = (size: number) => new TextEncoder().encode(`{${" ".repeat(size - 2)}}`);

const SQL_WORDS = /\b(SELECT|INSERT|UPDATE|DELETE FROM|FROM|WHERE|DROP|TABLE)\b/;
const EXCEPTION_TEXT = /no such table|sqlite|d1_|exception|stack|Error:|\bat .*:\d+/i;

describe("X-Request-Id", () => {
  it.each([
    ["GET", "/healthz"],
    ["GET", "/v1/openapi.json"],
    ["GET", "/docs"],
    ["GET", "/docs/problems"],
    ["GET", "/v1/nothing-here"],
    ["PUT", "/v1/customers"],
    ["GET", "/v1/customers"],
  ])("is on the response to %s %s", async (method, path) => {
    const response = await call(method, path);
    expect(response.headers.get("X-Request-Id")).toMatch(GENERATED_REQUEST_ID);
  });

  it("is on success responses of authenticated routes (200 and 201)", async () => {
    const { key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: {} });
    expect(created.status).toBe(201);
    expect(created.headers.get("X-Request-Id")).toMatch(GENERATED_REQUEST_ID);
    const listed = await call("GET", "/v1/customers", { key });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("X-Request-Id")).toMatch(GENERATED_REQUEST_ID);
  });

  it("generates a fresh id per request", async () => {
    const first = await call("GET", "/healthz");
    const second = await call("GET", "/healthz");
    expect(first.headers.get("X-Request-Id")).not.toBe(second.headers.get("X-Request-Id"));
  });

  it.each(["my-request-123", "abc", "6f1d2c3e-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "trace:span.42"])(
    "echoes the sane caller value %s",
    async (sent) => {
      const ok = await call("GET", "/healthz", { headers: { "X-Request-Id": sent } });
      expect(ok.headers.get("X-Request-Id")).toBe(sent);
      const error = await call("GET", "/v1/customers", { headers: { "X-Request-Id": sent } });
      expect(error.status).toBe(401);
      expect(error.headers.get("X-Request-Id")).toBe(sent);
      expect(error.body.request_id).toBe(sent);
    },
  );

  it.each([
    ["300 characters", "x".repeat(300)],
    ["a space", "a b"],
    ["angle brackets", "<script>"],
    ["quotes", '"quoted"'],
  ])("replaces an insane caller value (%s) with a generated req_ id", async (_label, sent) => {
    const response = await call("GET", "/v1/customers", { headers: { "X-Request-Id": sent } });
    const header = response.headers.get("X-Request-Id");
    expect(header).toMatch(GENERATED_REQUEST_ID);
    expect(header).not.toBe(sent);
    expect(response.body.request_id).toBe(header);
  });
});

describe("problem details", () => {
  it("have exactly the RFC 9457 members (plus code and request_id) when there are no field errors", async () => {
    const response = await call("GET", "/v1/nothing-here");
    expectProblem(response, 404, "not_found");
    expect(Object.keys(response.body).sort()).toEqual(PROBLEM_KEYS);
  });

  it("list every field problem with a JSON Pointer for an unknown body field", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", { key, body: { nickname: "x", shoe_size: 42 } });
    expectProblem(response, 400, "validation_failed");
    const pointers = response.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(["/nickname", "/shoe_size"]);
  });

  it("name an unknown query parameter as #/query/<name>", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers?colour=red", { key });
    expectProblem(response, 400, "validation_failed");
    expect(response.body.errors).toEqual([{ pointer: "#/query/colour", detail: expect.any(String) }]);
  });
});

describe("request bodies", () => {
  it.each([
    ["truncated object", '{"name": "Jenny"'],
    ["trailing comma", '{"name": "Jenny",}'],
    ["single quotes", "{'name': 'Jenny'}"],
    ["bare word", "hello"],
  ])("400 invalid_json for malformed JSON (%s)", async (_label, raw) => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: raw,
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(response, 400, "invalid_json");
  });

  it("400 invalid_json for a body that is not valid UTF-8", async () => {
    const { key } = await newOrganization();
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('{"name":"'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ]);
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: bytes,
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(response, 400, "invalid_json");
    const listed = await call("GET", "/v1/customers", { key });
    expect(listed.body.data).toEqual([]);
  });

  it("415 unsupported_media_type for a text/plain body", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: '{"name":"Jenny"}',
      headers: { "Content-Type": "text/plain" },
    });
    expectProblem(response, 415, "unsupported_media_type");
  });

  it("415 unsupported_media_type for a body sent without Content-Type", async () => {
    const { key } = await newOrganization();
    const request = new Request("http://roster.test/v1/customers", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}` },
      body: new TextEncoder().encode('{"name":"Jenny"}'),
    });
    expect(request.headers.get("Content-Type")).toBeNull();
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: new TextEncoder().encode('{"name":"Jenny"}'),
    });
    expectProblem(response, 415, "unsupported_media_type");
  });

  it.each(["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"])(
    "accepts Content-Type: %s",
    async (contentType) => {
      const { key } = await newOrganization();
      const response = await call("POST", "/v1/customers", {
        key,
        rawBody: '{"name":"Jenny"}',
        headers: { "Content-Type": contentType },
      });
      expect(response.status).toBe(201);
      expect(response.body.name).toBe("Jenny");
    },
  );

  const EMPTY = new Uint8Array();
  it.each([
    ["absent body, no Content-Type", undefined, {}],
    ["absent body, Content-Type: application/json", undefined, { "Content-Type": "application/json" }],
    ["empty body, no Content-Type", EMPTY, {}],
    ["empty body, Content-Type: application/json", EMPTY, { "Content-Type": "application/json" }],
    // What `curl -X POST -d ''` sends: an empty body is no body, so its media type cannot matter.
    [
      "empty body, Content-Type: application/x-www-form-urlencoded",
      EMPTY,
      { "Content-Type": "application/x-www-form-urlencoded" },
    ],
    ["{} body, Content-Type: application/json", "{}", { "Content-Type": "application/json" }],
  ] as const)("create with %s is 201", async (_label, rawBody, headers) => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", { key, rawBody, headers: { ...headers } });
    expect(response.status, response.text).toBe(201);
    expect(response.body.object).toBe("customer");
    expect(response.body.id).toMatch(/^cus_/);
    expect(response.headers.get("Location")).toBe(`/v1/customers/${response.body.id}`);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: paddedEmptyObject(LIMIT),
      headers: { "Content-Type": "application/json" },
    });
    expect(response.status).toBe(201);
  });

  it("413 payload_too_large for a body one byte over 64 KiB, with an honest Content-Length", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: paddedEmptyObject(LIMIT + 1),
      headers: { "Content-Type": "application/json", "Content-Length": String(LIMIT + 1) },
    });
    expectProblem(response, 413, "payload_too_large");
    const listed = await call("GET", "/v1/customers", { key });
    expect(listed.body.data).toEqual([]);
  });

  it("413 payload_too_large for a body over 64 KiB whose Content-Length understates it", async () => {
    const { key } = await newOrganization();
    // The premise: a Request built in code keeps a Content-Length that does not match its body.
    const understated = new Request("http://roster.test/", {
      method: "POST",
      body: paddedEmptyObject(LIMIT + 1),
      headers: { "Content-Length": "2" },
    });
    expect(understated.headers.get("Content-Length")).toBe("2");
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: paddedEmptyObject(LIMIT + 1),
      headers: { "Content-Type": "application/json", "Content-Length": "2" },
    });
    expectProblem(response, 413, "payload_too_large");
    expect((await call("GET", "/v1/customers", { key })).body.data).toEqual([]);
  });

  it("413 payload_too_large for a streamed body (no Content-Length) that never ends, without reading it all", async () => {
    const { key } = await newOrganization();
    const chunk = new TextEncoder().encode(" ".repeat(16 * KiB));
    let pulled = 0;
    let first = true;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (first) {
          first = false;
          controller.enqueue(new TextEncoder().encode("{"));
          return;
        }
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(response, 413, "payload_too_large");
    // It stopped reading soon after the limit: an endless body cannot tie the Worker up.
    expect(pulled).toBeLessThanOrEqual(LIMIT + 4 * chunk.byteLength);
  });

  it("413 payload_too_large for a finite streamed body just over 64 KiB", async () => {
    const { key } = await newOrganization();
    const bytes = paddedEmptyObject(LIMIT + 1);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.byteLength; offset += 10_000)
          controller.enqueue(bytes.slice(offset, offset + 10_000));
        controller.close();
      },
    });
    const response = await call("POST", "/v1/customers", {
      key,
      rawBody: stream,
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(response, 413, "payload_too_large");
  });

  it("400 validation_failed (naming the field) for an unknown field on organization create", async () => {
    const response = await call("POST", "/v1/organizations", { key: ADMIN_TOKEN, body: { name: "Acme", plan: "x" } });
    expectProblem(response, 400, "validation_failed");
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toContain("/plan");
  });
});

describe("routing", () => {
  it.each([
    ["PUT", "/v1/customers", "GET, HEAD, POST"],
    ["DELETE", "/v1/customers", "GET, HEAD, POST"],
    ["POST", "/v1/customers/cus_123", "DELETE, GET, HEAD, PATCH, PUT"],
    ["POST", `${altPath("user 1")}`, "DELETE, GET, HEAD, PATCH, PUT"],
    ["GET", "/v1/customers/cus_123/unarchive", "POST"],
    ["PUT", "/v1/customers/cus_123/metadata/plan", "DELETE"],
    ["PATCH", "/v1/api_keys", "GET, HEAD, POST"],
    ["GET", "/v1/api_keys/key_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", "DELETE"],
    ["GET", "/v1/organizations", "POST"],
    ["POST", "/healthz", "GET, HEAD"],
  ])("405 method_not_allowed for %s %s, Allow: %s", async (method, path, allow) => {
    const { key } = await newOrganization();
    const response = await call(method, path, { key });
    expectProblem(response, 405, "method_not_allowed");
    expect(response.headers.get("Allow")).toBe(allow);
  });

  it("405 also without credentials (the path is known)", async () => {
    const response = await call("PUT", "/v1/customers");
    expectProblem(response, 405, "method_not_allowed");
    expect(response.headers.get("Allow")).toBe("GET, HEAD, POST");
  });

  it.each([
    ["GET", "/v1/nothing-here"],
    ["GET", "/v2/customers"],
    ["POST", "/v1/customers/cus_1/unknown"],
    ["GET", "/"],
  ])("404 not_found for the unknown path %s %s", async (method, path) => {
    const { key } = await newOrganization();
    const response = await call(method, path, { key });
    expectProblem(response, 404, "not_found");
    expect(response.headers.get("Allow")).toBeNull();
  });
});

describe("authentication", () => {
  const expectUnauthorized = (response: Called) => {
    expectProblem(response, 401, "unauthorized");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/i);
  };

  it("401 for a missing Authorization header", async () => {
    await newOrganization();
    expectUnauthorized(await call("GET", "/v1/customers"));
  });

  it.each([
    ["Basic", (key: string) => `Basic ${btoa(`${key}:`)}`],
    ["Token", (key: string) => `Token ${key}`],
    ["bare key", (key: string) => key],
    ["empty Bearer", () => "Bearer "],
  ])("401 for a non-Bearer or malformed scheme (%s)", async (_label, header) => {
    const { key } = await newOrganization();
    expectUnauthorized(await call("GET", "/v1/customers", { headers: { Authorization: header(key) } }));
  });

  it("401 for an unknown key", async () => {
    const { key } = await newOrganization();
    expectUnauthorized(await call("GET", "/v1/customers", { key: `${key}x` }));
    expectUnauthorized(await call("GET", "/v1/customers", { key: "rk_doesnotexist000000000000000000000000000" }));
  });

  it("401 for a revoked key, on reads and writes", async () => {
    const { key } = await newOrganization();
    const second = await call("POST", "/v1/api_keys", { key, body: { name: "second" } });
    expect(second.status).toBe(201);
    const customer = await createCustomer(second.body.secret);
    const revoked = await call("DELETE", `/v1/api_keys/${second.body.id}`, { key });
    expect(revoked.status).toBe(200);
    expectUnauthorized(await call("GET", "/v1/customers", { key: second.body.secret }));
    expectUnauthorized(await call("GET", `/v1/customers/${customer.id}`, { key: second.body.secret }));
    expectUnauthorized(await call("POST", "/v1/customers", { key: second.body.secret, body: {} }));
  });

  it("an admin token is not an API key, and an API key is not the admin token", async () => {
    const { key } = await newOrganization();
    expectUnauthorized(await call("GET", "/v1/customers", { key: ADMIN_TOKEN }));
    expectUnauthorized(await call("POST", "/v1/organizations", { key, body: { name: "Other" } }));
  });

  it("401 comes before body checks: no body is parsed for an unauthenticated request", async () => {
    const response = await call("POST", "/v1/customers", {
      rawBody: "not json",
      headers: { "Content-Type": "application/json" },
    });
    expectUnauthorized(response);
  });
});

describe("storage failures", () => {
  it.each([
    ["GET", "/v1/customers", undefined],
    ["POST", "/v1/customers", { email: "jenny@example.com" }],
    ["GET", "/v1/customers/cus_abc", undefined],
    ["GET", altPath("user_1"), undefined],
  ])("503 storage_unavailable with no SQL or exception text when D1 fails (%s %s)", async (method, path, body) => {
    const { key } = await newOrganization();
    await env.DB.exec("DROP TABLE customers");
    const response = await call(method, path, { key, body });
    expectProblem(response, 503, "storage_unavailable");
    expect(response.text).not.toMatch(SQL_WORDS);
    expect(response.text).not.toMatch(EXCEPTION_TEXT);
    expect(response.text).not.toContain("customers (");
  });

  it("500 internal_error never echoes the exception's message or stack", async () => {
    const secretMessage = "kaboom-7f3a: cannot read property secretField of undefined";
    const throwingDb = new Proxy(env.DB, {
      get() {
        return () => {
          throw new TypeError(secretMessage);
        };
      },
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request("http://roster.test/v1/customers", {
        headers: { Authorization: "Bearer rk_well_formed_but_never_looked_up_0000" },
      }),
      { ...env, DB: throwingDb },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const text = await response.text();
    const called: Called = { status: response.status, headers: response.headers, body: JSON.parse(text), text };
    expectProblem(called, 500, "internal_error");
    expect(text).not.toContain("kaboom");
    expect(text).not.toContain("secretField");
    expect(text).not.toMatch(/TypeError|\bat .*:\d+/);
    expect(Object.keys(called.body).sort()).toEqual(PROBLEM_KEYS);
  });
});

describe("GET /healthz", () => {
  it("200 {status: ok} when D1 answers", async () => {
    const response = await call("GET", "/healthz");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(response.body).toEqual({ status: "ok" });
  });

  it("503 storage_unavailable when D1 does not answer", async () => {
    const failingDb = new Proxy(env.DB, {
      get() {
        return () => {
          throw new Error("D1_ERROR: Network connection lost.");
        };
      },
    });
    // Past the second in which requests share one D1 probe (src/system): this one probes.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 60_000);
    const ctx = createExecutionContext();
    const response = await worker.fetch(new Request("http://roster.test/healthz"), { ...env, DB: failingDb }, ctx);
    await waitOnExecutionContext(ctx);
    vi.useRealTimers();
    const text = await response.text();
    const called: Called = { status: response.status, headers: response.headers, body: JSON.parse(text), text };
    expectProblem(called, 503, "storage_unavailable");
    expect(text).not.toMatch(EXCEPTION_TEXT);
  });
});

describe("errors raised from code, not from D1", () => {
  it("a StorageUnavailable is a retryable 503 storage_unavailable, whatever its message", () => {
    const error = toApiError(new StorageUnavailable("INSERT … RETURNING returned no row"));
    expect(error.code).toBe("storage_unavailable");
    expect(error.status).toBe(503);
  });

  it("any other Error is a 500 that does not echo its message", () => {
    const error = toApiError(new Error("the customer kept changing"));
    expect(error.code).toBe("internal_error");
    expect(error.message).not.toContain("kept changing");
  });
});
