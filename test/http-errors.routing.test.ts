import { describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  type ApiKeyWithSecret,
  altPath,
  type Called,
  call,
  createCustomer,
  expectProblem,
  newOrganization,
} from "./helpers";

/** Routing (405 with Allow, 404) and authentication (401 with WWW-Authenticate). */

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
  const expectUnauthorized = (response: Called<unknown>) => {
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
    const second = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "second" } });
    expect(second.status).toBe(201);
    const customer = await createCustomer(second.body.secret ?? "");
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
