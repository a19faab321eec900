import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { buildApp } from "../src/app";
import { type ApiKeyWithSecret, call, newOrganization, type ProvisioningResult } from "./helpers";
import { ConformanceChecker, type Exchange, type OpenApiDocument } from "./openapi-conformance";

/** The parts of /v1/openapi.json these tests read. */
type ServedDocument = {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; responses: Record<string, { headers?: Record<string, unknown> }> }>
  >;
  components: { headers: Record<string, { required?: boolean }> };
};

describe("GET /v1/openapi.json", () => {
  it("builds the document once per isolate, on the first request, and serves it identically after", async () => {
    const app = buildApp();
    const build = vi.spyOn(app, "getOpenAPI31Document");
    expect(build).not.toHaveBeenCalled();
    const first = await app.request("/v1/openapi.json", {}, env);
    const second = await app.request("/v1/openapi.json", {}, env);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await second.text()).toBe(await first.text());
    expect(build).toHaveBeenCalledTimes(1);
  });

  it("declares itself and the health check as open (security: [])", async () => {
    const { body } = await call<ServedDocument>("GET", "/v1/openapi.json");
    expect(body.paths["/v1/openapi.json"]?.get?.security).toEqual([]);
    expect(body.paths["/healthz"]?.get?.security).toEqual([]);
  });

  it("declares X-Request-Id, required, on every response", async () => {
    const { body } = await call<ServedDocument>("GET", "/v1/openapi.json");
    const responses = Object.values(body.paths).flatMap((item) =>
      Object.values(item).flatMap((operation) => Object.values(operation.responses)),
    );
    expect(responses.length).toBeGreaterThan(100);
    for (const response of responses) {
      expect(response.headers?.["X-Request-Id"]).toEqual({ $ref: "#/components/headers/X-Request-Id" });
    }
    expect(body.components.headers["X-Request-Id"]?.required).toBe(true);
  });

  it("matches a provisioning result without a subscription (null) and a replayed secret (null)", async () => {
    // call() fails the test when a response breaks the document; before the fix both did.
    const { key } = await newOrganization();
    const provisioned = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "p1" },
    });
    expect(provisioned.status).toBe(201);
    expect(provisioned.body.subscription).toBeNull();
    const idempotent = { key, body: { name: "ci" }, headers: { "Idempotency-Key": "key-1" } };
    await call("POST", "/v1/api_keys", idempotent);
    const replayed = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", idempotent);
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replayed.body.secret).toBeNull();
  });
});

describe("the conformance checker (test/openapi-conformance.ts)", () => {
  const exchange = (overrides: Partial<Exchange>): Exchange => ({
    method: "GET",
    path: "/healthz",
    status: 200,
    headers: new Headers({ "Content-Type": "application/json", "X-Request-Id": "req_1" }),
    text: '{"status":"ok"}',
    ...overrides,
  });
  const checker = async () => new ConformanceChecker((await call<OpenApiDocument>("GET", "/v1/openapi.json")).body);

  it("accepts a response that matches", async () => {
    expect((await checker()).check(exchange({}))).toEqual([]);
  });

  it.each([
    ["an undeclared status", { status: 418 }, "answered 418, which it does not declare"],
    [
      "an undeclared media type",
      { headers: new Headers({ "Content-Type": "text/plain", "X-Request-Id": "r" }) },
      "text/plain is not declared",
    ],
    ["a body off its schema, at its JSON pointer", { text: '{"status":"fine"}' }, "at /status"],
    [
      "a missing required header",
      { headers: new Headers({ "Content-Type": "application/json" }) },
      "X-Request-Id is missing",
    ],
    ["a 200 on an unknown path", { path: "/v1/nothing" }, "expected 404 not_found"],
    ["a 200 for a method the path does not have", { method: "DELETE" }, "expected 405 method_not_allowed"],
  ] as const)("rejects %s", async (_label, overrides, message) => {
    expect((await checker()).check(exchange(overrides)).join("\n")).toContain(message);
  });

  it("maps an alternative ID with an encoded / and a route word to their templated paths", async () => {
    const found = (await checker()).check(
      exchange({ method: "GET", path: "/v1/customers/alternative-id/a%2Fb", status: 418 }),
    );
    expect(found.join("\n")).toContain(
      "GET /v1/customers/alternative-id/{alternative_id} (getCustomerByAlternativeId)",
    );
    const provision = (await checker()).check(
      exchange({ method: "GET", path: "/v1/customers/provision", status: 200 }),
    );
    expect(provision.join("\n")).toContain("expected 405 method_not_allowed");
  });
});
