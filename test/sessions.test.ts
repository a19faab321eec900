import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AddressObject } from "../src/addresses/addresses.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import {
  ADMIN_TOKEN,
  altPath,
  type CustomerList,
  type CustomerObject,
  call,
  createCustomer,
  newOrganization,
  type Problem,
  type Subscription,
  type WebhookEndpointWithSecret,
} from "./helpers";
import { BOOKMARK } from "./session-recorder";

/**
 * docs/consistency.md: bookmarks in and out. Locally there is one database,
 * so what these check is the contract around it: which responses carry a bookmark, that a
 * bookmark sent back is honoured, and which header values are refused.
 */

const bookmarkOf = (response: { headers: Headers }) => response.headers.get("Roster-Bookmark");

type Step = [name: string, method: string, path: string, body: unknown, status: number];

/** One organization with a customer and one of each sub-resource, and a request of every kind against them. */
async function everyKindOfRoute(): Promise<{ key: string; steps: Step[] }> {
  const { key } = await newOrganization();
  const customer = await createCustomer(key, { alternative_id: "sess-alt", email: "s@example.com" });
  const doomed = await createCustomer(key);
  const base = `/v1/customers/${customer.id}`;
  const address = (
    await call<AddressObject>("POST", `${base}/addresses`, { key, body: { line1: "1 Main St", country: "US" } })
  ).body;
  const subscription = (await call<Subscription>("POST", `${base}/subscriptions`, { key, body: { plan_id: "p" } }))
    .body;
  const card = { gateway: "stripe", gateway_reference: "pm_1MqLiJLkdIwHu7ixUEgbFdYF" };
  const paymentMethod = (await call<PaymentMethodObject>("POST", `${base}/payment_methods`, { key, body: card })).body;
  const endpoint = (
    await call<WebhookEndpointWithSecret>("POST", "/v1/webhook_endpoints", { key, body: { source: "standard" } })
  ).body;
  return {
    key,
    steps: [
      ["GET one", "GET", base, undefined, 200],
      ["GET by alternative ID", "GET", altPath("sess-alt"), undefined, 200],
      ["list", "GET", "/v1/customers", undefined, 200],
      ["POST create", "POST", "/v1/customers", { name: "New" }, 201],
      ["PATCH", "PATCH", base, { name: "Changed" }, 200],
      ["PATCH by alternative ID", "PATCH", altPath("sess-alt"), { name: "Again" }, 200],
      ["PUT", "PUT", base, { alternative_id: "sess-alt", email: "s@example.com", name: "Put" }, 200],
      ["provision", "POST", "/v1/customers/provision", { alternative_id: "prov-1" }, 201],
      ["import", "POST", "/v1/customers/import", { customers: [{ alternative_id: "imp-1" }] }, 200],
      ["sub-resource list", "GET", `${base}/addresses`, undefined, 200],
      ["sub-resource create", "POST", `${base}/addresses`, { line1: "2 Main St", country: "US" }, 201],
      ["sub-resource PATCH", "PATCH", `${base}/addresses/${address.id}`, { city: "Paris" }, 200],
      ["sub-resource GET one", "GET", `${base}/subscriptions/${subscription.id}`, undefined, 200],
      ["sub-resource DELETE", "DELETE", `${base}/payment_methods/${paymentMethod.id}`, undefined, 200],
      ["webhook endpoints list", "GET", "/v1/webhook_endpoints", undefined, 200],
      ["webhook endpoint DELETE", "DELETE", `/v1/webhook_endpoints/${endpoint.id}`, undefined, 200],
      ["API keys list", "GET", "/v1/api_keys", undefined, 200],
      ["DELETE (archive)", "DELETE", `/v1/customers/${doomed.id}`, undefined, 200],
    ],
  };
}

describe("Roster-Bookmark on responses", () => {
  it("every kind of route answers with the session's bookmark", async () => {
    const { key, steps } = await everyKindOfRoute();
    for (const [name, method, path, body, status] of steps) {
      const response = await call(method, path, { key, body });
      expect(response.status, `${name}: ${response.text}`).toBe(status);
      expect(bookmarkOf(response), name).toMatch(BOOKMARK);
    }
  });

  it("the admin route that creates an organization answers with one too", async () => {
    const response = await call("POST", "/v1/organizations", { key: ADMIN_TOKEN, body: { name: "Bookmarked" } });
    expect(response.status).toBe(201);
    expect(bookmarkOf(response)).toMatch(BOOKMARK);
  });

  it("errors that read or wrote D1 carry it: a 404 after a read, a 409 after a write attempt, a 412", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { id: "taken" });
    const missing = await call("GET", "/v1/customers/cus_missing", { key });
    expect(missing.status).toBe(404);
    expect(bookmarkOf(missing)).toMatch(BOOKMARK);
    const conflict = await call("POST", "/v1/customers", { key, body: { id: "taken" } });
    expect(conflict.status).toBe(409);
    expect(bookmarkOf(conflict)).toMatch(BOOKMARK);
    const stale = await call("PATCH", `/v1/customers/${customer.id}`, {
      key,
      body: { name: "x" },
      headers: { "If-Match": '"stale"' },
    });
    expect(stale.status).toBe(412);
    expect(bookmarkOf(stale)).toMatch(BOOKMARK);
  });

  it("responses that never reached D1 carry none: unknown path, bad path parameter, bad body, no API key", async () => {
    const { key } = await newOrganization();
    const untouched = [
      await call("GET", "/v1/nothing-here", { key }),
      await call("GET", "/v1/customers/has%20space", { key }),
      await call("POST", "/v1/customers", { key, body: { email: 42 } }),
      await call("GET", "/v1/customers"),
      await call("GET", "/healthz"),
    ];
    expect(untouched.map((response) => response.status)).toEqual([404, 400, 400, 401, 200]);
    for (const response of untouched.slice(0, 4)) expect(bookmarkOf(response)).toBeNull();
  });

  it("bookmarks only move forward: a write's is later than the read's before it", async () => {
    const { key } = await newOrganization();
    const before = bookmarkOf(await call("GET", "/v1/customers", { key })) ?? "";
    const written = bookmarkOf(await call("POST", "/v1/customers", { key, body: {} })) ?? "";
    expect(written > before).toBe(true);
  });
});

describe("Roster-Bookmark on requests", () => {
  it("a read sent with the bookmark of a write sees that write", async () => {
    const { key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { alternative_id: "fresh", name: "Fresh" },
    });
    const bookmark = bookmarkOf(created) ?? "";
    expect(bookmark).toMatch(BOOKMARK);
    const headers = { "Roster-Bookmark": bookmark };
    const byId = await call<CustomerObject>("GET", `/v1/customers/${created.body.id}`, { key, headers });
    expect(byId.status).toBe(200);
    expect(byId.body.name).toBe("Fresh");
    const byAlternativeId = await call<CustomerObject>("GET", altPath("fresh"), { key, headers });
    expect(byAlternativeId.body.id).toBe(created.body.id);
    const list = await call<CustomerList>("GET", "/v1/customers", { key, headers });
    expect(list.body.data.map((customer) => customer.id)).toContain(created.body.id);
    // The answer's bookmark is at least the one sent.
    expect((bookmarkOf(byId) ?? "") >= bookmark).toBe(true);
  });

  it("a strong read sees the latest write and answers with a bookmark", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, { name: "Strong" });
    await call("PATCH", `/v1/customers/${created.id}`, { key, body: { name: "Stronger" } });
    const read = await call<CustomerObject>("GET", `/v1/customers/${created.id}`, {
      key,
      headers: { "Roster-Consistency": "strong" },
    });
    expect(read.status).toBe(200);
    expect(read.body.name).toBe("Stronger");
    expect(bookmarkOf(read)).toMatch(BOOKMARK);
  });

  it("a write accepts a bookmark and a strong consistency and runs as without them", async () => {
    const { key } = await newOrganization();
    const bookmark = bookmarkOf(await call("GET", "/v1/customers", { key })) ?? "";
    const response = await call("POST", "/v1/customers", {
      key,
      body: { name: "W" },
      headers: { "Roster-Bookmark": bookmark, "Roster-Consistency": "strong" },
    });
    expect(response.status).toBe(201);
    expect(bookmarkOf(response)).toMatch(BOOKMARK);
  });
});

describe("bad consistency headers", () => {
  const countCustomers = async (orgId: string) =>
    (await env.DB.prepare("SELECT COUNT(*) AS n FROM customers WHERE org_id = ?1").bind(orgId).first<{ n: number }>())
      ?.n;

  it.each([
    ["not a bookmark"],
    ["00000000-00000006-00000000"],
    ["00000000-00000006-00000000-0000000000000000000000000000000"],
    ["00000000-00000006-00000000-000000000000000000000000000000000"],
    ["00000000-0000000A-00000000-00000000000000000000000000000000"],
    [" 00000000-00000006-00000000-00000000000000000000000000000000x"],
  ])("a malformed Roster-Bookmark %j is a 400 at #/header/Roster-Bookmark, on reads and writes", async (bookmark) => {
    const { orgId, key } = await newOrganization();
    const headers = { "Roster-Bookmark": bookmark };
    for (const [method, path, body] of [
      ["GET", "/v1/customers", undefined],
      ["POST", "/v1/customers", { name: "never" }],
    ] as const) {
      const response = await call<Problem>(method, path, { key, body, headers });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.body.code).toBe("validation_failed");
      expect(response.body.errors).toEqual([{ pointer: "#/header/Roster-Bookmark", detail: expect.any(String) }]);
      expect(bookmarkOf(response)).toBeNull();
    }
    expect(await countCustomers(orgId)).toBe(0);
  });

  it.each([["eventual"], ["STRONG"], ["strong, strong"], [""], ["weak"]])(
    "Roster-Consistency %j is a 400 at #/header/Roster-Consistency",
    async (consistency) => {
      const { orgId, key } = await newOrganization();
      for (const [method, path, body] of [
        ["GET", "/v1/customers", undefined],
        ["POST", "/v1/customers", { name: "never" }],
      ] as const) {
        const response = await call<Problem>(method, path, {
          key,
          body,
          headers: { "Roster-Consistency": consistency },
        });
        expect(response.status, `${method} ${path}`).toBe(400);
        expect(response.body.errors).toEqual([{ pointer: "#/header/Roster-Consistency", detail: expect.any(String) }]);
      }
      expect(await countCustomers(orgId)).toBe(0);
    },
  );

  it("a refused header leaves no Idempotency-Key behind: the retry with a good header runs", async () => {
    const { key } = await newOrganization();
    const idempotent = { "Idempotency-Key": "sess-1" };
    const refused = await call("POST", "/v1/customers", {
      key,
      body: { name: "Once" },
      headers: { ...idempotent, "Roster-Consistency": "eventual" },
    });
    expect(refused.status).toBe(400);
    const retried = await call("POST", "/v1/customers", { key, body: { name: "Once" }, headers: idempotent });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("Idempotent-Replayed")).toBeNull();
  });
});

/** The parts of /v1/openapi.json this test reads. */
type ServedDocument = {
  paths: Record<
    string,
    Record<
      string,
      {
        description?: string;
        parameters?: { in: string; name: string }[];
        responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
      }
    >
  >;
};

describe("the OpenAPI document", () => {
  it("declares both request headers and the response header on every /v1 operation that reads D1, and a 400 for them", async () => {
    const document = (await call<ServedDocument>("GET", "/v1/openapi.json")).body;
    const readingD1 = Object.entries(document.paths).filter(
      ([path]) => path.startsWith("/v1/") && path !== "/v1/openapi.json",
    );
    const operations = readingD1.flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method} ${path}`,
        operation,
      })),
    );
    expect(operations.length).toBeGreaterThan(20);
    for (const { name, operation } of operations) {
      const headers = (operation.parameters ?? []).filter((parameter) => parameter.in === "header");
      expect(
        headers.map((parameter) => parameter.name),
        name,
      ).toEqual(expect.arrayContaining(["Roster-Bookmark", "Roster-Consistency"]));
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.headers?.["Roster-Bookmark"], `${name} ${status}`).toBeDefined();
      }
      expect(operation.responses["400"]?.description, name).toContain("`validation_failed`");
    }
    for (const path of ["/v1/openapi.json", "/healthz"]) {
      expect(document.paths[path]?.get, path).toBeDefined();
      const parameters = document.paths[path]?.get?.parameters ?? [];
      expect(
        parameters.map((parameter) => parameter.name),
        path,
      ).not.toContain("Roster-Bookmark");
    }
    const altGet = document.paths["/v1/customers/alternative-id/{alternative_id}"]?.get;
    expect(altGet?.description).toContain("Roster-Bookmark");
  });
});
