import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { toApiError } from "../src/lib/create-app";
import { StorageUnavailable } from "../src/lib/storage-errors";
import { altPath, type Called, call, expectProblem, newOrganization, type Problem } from "./helpers";

/** What every error shares: X-Request-Id, the problem+json shape, and 5xx bodies that leak nothing. */

const GENERATED_REQUEST_ID = /^req_[A-Za-z0-9]+$/;
const PROBLEM_KEYS = ["code", "detail", "request_id", "status", "title", "type"];

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
      const error = await call<Problem>("GET", "/v1/customers", { headers: { "X-Request-Id": sent } });
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
    const response = await call<Problem>("GET", "/v1/customers", { headers: { "X-Request-Id": sent } });
    const header = response.headers.get("X-Request-Id");
    expect(header).toMatch(GENERATED_REQUEST_ID);
    expect(header).not.toBe(sent);
    expect(response.body.request_id).toBe(header);
  });
});

describe("problem details", () => {
  it("have exactly the RFC 9457 members (plus code and request_id) when there are no field errors", async () => {
    const response = await call<Problem>("GET", "/v1/nothing-here");
    expectProblem(response, 404, "not_found");
    expect(Object.keys(response.body).sort()).toEqual(PROBLEM_KEYS);
  });

  it("list every field problem with a JSON Pointer for an unknown body field", async () => {
    const { key } = await newOrganization();
    const response = await call<Problem>("POST", "/v1/customers", { key, body: { nickname: "x", shoe_size: 42 } });
    expectProblem(response, 400, "validation_failed");
    const pointers = response.body.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(["/nickname", "/shoe_size"]);
  });

  it("name an unknown query parameter as #/query/<name>", async () => {
    const { key } = await newOrganization();
    const response = await call<Problem>("GET", "/v1/customers?colour=red", { key });
    expectProblem(response, 400, "validation_failed");
    expect(response.body.errors).toEqual([{ pointer: "#/query/colour", detail: expect.any(String) }]);
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
    const called: Called<Problem> = {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text),
      text,
    };
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
    const called: Called<Problem> = {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text),
      text,
    };
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
