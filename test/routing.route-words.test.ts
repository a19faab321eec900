import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { RESERVED_CUSTOMER_IDS } from "../src/customer-records/customer-records.params";
import { routeTable } from "../src/lib/method-not-allowed";
import { type Called, call, expectProblem, newOrganization, type ProvisioningResult } from "./helpers";

/**
 * A route word (`import`, `provision`, `alternative-id`, …) is never a parameter: a request
 * that fits `/v1/customers/{id}` only by taking one as an id is answered from the route table
 * (405 with the path's real methods, or 404), before credentials, body or Idempotency-Key.
 */

const expectNotAllowed = (response: Called<unknown>, allow: string) => {
  expectProblem(response, 405, "method_not_allowed");
  expect(response.headers.get("Allow")).toBe(allow);
};

describe("route words under /v1/customers", () => {
  it.each([
    ["PUT", "/v1/customers/import"],
    ["PATCH", "/v1/customers/import"],
    ["DELETE", "/v1/customers/import"],
    ["OPTIONS", "/v1/customers/import"],
    ["GET", "/v1/customers/import"],
    ["PUT", "/v1/customers/provision"],
    ["PATCH", "/v1/customers/provision/"],
    ["DELETE", "/v1/customers/provision"],
    ["OPTIONS", "/v1/customers/provision"],
    ["GET", "/v1/customers/provision"],
  ])("%s %s: 405 with Allow: POST, whatever the body and headers", async (method, path) => {
    const { key } = await newOrganization();
    const withBody = method === "GET" || method === "HEAD" ? {} : { rawBody: "not json" };
    // Before the fix: 415 (no Content-Type) or 400 (the id, the body), after reading both.
    const response = await call(method, path, { key, ...withBody, headers: { "Idempotency-Key": "k-1" } });
    expectNotAllowed(response, "POST");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("keeps nothing under the Idempotency-Key: the key then serves the real route", async () => {
    const { key } = await newOrganization();
    const headers = { "Idempotency-Key": "route-word-1" };
    const refused = await call("PUT", "/v1/customers/provision", { key, body: { alternative_id: "a" }, headers });
    expectNotAllowed(refused, "POST");
    // Before the fix the 400 was kept, so this answered 422 idempotency_key_reused.
    const provisioned = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "a" },
      headers,
    });
    expect(provisioned.status).toBe(201);
    expect(provisioned.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("answers 405 before authentication, as every 405 does (the route table is public)", async () => {
    expectNotAllowed(await call("DELETE", "/v1/customers/import"), "POST");
    expectNotAllowed(await call("OPTIONS", "/v1/customers/provision", { key: "rk_not_a_key" }), "POST");
  });

  it.each([
    ["GET", "/v1/customers/alternative-id"],
    ["DELETE", "/v1/customers/alternative-id/"],
    ["POST", "/v1/customers/import/addresses"],
    ["GET", "/v1/customers/provision/subscriptions"],
    ["POST", "/v1/customers/provision/unarchive"],
    ["DELETE", "/v1/customers/import/metadata/plan"],
  ])("404 for %s %s: a route word names no customer, so no path under it exists", async (method, path) => {
    const { key } = await newOrganization();
    const body = method === "GET" ? {} : { rawBody: "{}", headers: { "Content-Type": "application/json" } };
    const response = await call(method, path, { key, ...body });
    expectProblem(response, 404, "not_found");
    expect(response.headers.get("Allow")).toBeNull();
  });

  it("still serves the real routes at a route word, and ids and alternative IDs around them", async () => {
    const { key } = await newOrganization();
    const provisioned = await call("POST", "/v1/customers/provision", { key, body: { alternative_id: "import" } });
    expect(provisioned.status).toBe(201);
    // An alternative ID may be a route word: it is under alternative-id/, where no word competes.
    const byAlternativeId = await call("GET", "/v1/customers/alternative-id/import", { key });
    expect(byAlternativeId.status).toBe(200);
    const unarchive = await call("GET", "/v1/customers/alternative-id/unarchive", { key });
    expectProblem(unarchive, 404, "customer_not_found");
    expectNotAllowed(await call("OPTIONS", "/v1/customers/cus_1", { key }), "DELETE, GET, HEAD, PATCH, PUT");
  });

  it("reserves as ids every word a route under /v1/customers uses where {id} stands", () => {
    const words = new Set(
      buildApp()
        .routes.map((route) => route.path.split("/")[3])
        .filter((word): word is string => word !== undefined && word !== "" && !word.startsWith(":")),
    );
    expect(words.size).toBeGreaterThanOrEqual(3);
    for (const word of words) expect(RESERVED_CUSTOMER_IDS, word).toContain(word);
  });
});

describe("routeTable (src/lib/method-not-allowed.ts)", () => {
  const table = (...routes: string[]) =>
    routeTable(
      routes.map((route) => {
        const [method = "", path = ""] = route.split(" ");
        return { method, path };
      }),
    );
  const customers = ["GET /v1/customers/:id", "PATCH /v1/customers/:id", "POST /v1/customers/import"];

  it("takes a route word from a sibling of the parameter, so a new route reserves its word", () => {
    expect(table(...customers).onRouteWord("/v1/customers/search")).toBeNull();
    const withSearch = table(...customers, "GET /v1/customers/search");
    expect(withSearch.onRouteWord("/v1/customers/search")).toEqual(["GET", "HEAD"]);
    expect(withSearch.onRouteWord("/v1/customers/import")).toEqual(["POST"]);
    expect(withSearch.allowed("/v1/customers/search")).toEqual(["GET", "HEAD"]);
  });

  it("leaves paths without a route word in a parameter's place to the routes", () => {
    const words = table(...customers, "GET /v1/customers/:id/import", "GET /v1/things/:id");
    expect(words.onRouteWord("/v1/customers/cus_1")).toBeNull();
    expect(words.onRouteWord("/v1/customers/cus_1/import")).toBeNull();
    // "import" is a word under /v1/customers only, not under /v1/things.
    expect(words.onRouteWord("/v1/things/import")).toBeNull();
    expect(words.allowed("/v1/customers/cus_1")).toEqual(["GET", "HEAD", "PATCH"]);
  });

  it("gives no methods for a path under a route word that no route has", () => {
    const words = table(...customers, "GET /v1/customers/:id/addresses");
    expect(words.onRouteWord("/v1/customers/import/addresses")).toEqual([]);
    expect(words.allowed("/v1/customers/import/addresses")).toEqual([]);
  });
});
