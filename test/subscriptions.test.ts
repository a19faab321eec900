import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newSubscriptionFrom } from "../src/subscriptions/subscriptions.object";
import { createSubscription, subscriptionsOfCustomersStatement } from "../src/subscriptions/subscriptions.repository";
import {
  call,
  createCustomer,
  type ListBody,
  newOrganization,
  type Problem,
  type ProvisioningResult,
  type Subscription,
} from "./helpers";
import {
  createAt,
  customerWith,
  describeSubResourceRules,
  expectOperations,
  ISO_MS,
  listOf,
  type Route,
  type ServedDocument,
} from "./sub-resources-helpers";

const UNKNOWN_ID = "sub_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R";

const PRO = { plan_id: "plan-pro" };

const customerSetup = () => customerWith("subscriptions");

const subscribe = (key: string, base: string, body: Record<string, unknown> = PRO) =>
  createAt<Subscription>("subscription", key, base, body);

const activeCount = async (customerId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM subscriptions WHERE customer_id = ?1 AND status = 'active'")
      .bind(customerId)
      .first<{ n: number }>()
  )?.n;

describe("POST /v1/customers/{id}/subscriptions", () => {
  it("creates an active subscription with every field, and a Location", async () => {
    const { key, customerId, base } = await customerSetup();
    const body = {
      plan_id: "plan-pro",
      resource_id: "site-1",
      billing_period: "annually",
      addons: [{ addon_id: "seats", quantity: 5 }],
      billable_features: [{ feature_id: "api-calls", quantity: 1000 }],
      promotion_code: "WELCOME",
      billing_country_code: "FR",
      metadata: { source: "api", dropped: null, seats: 3 },
    };
    const response = await call<Subscription>("POST", base, { key, body });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      object: "subscription",
      id: expect.stringMatching(/^sub_[0-9A-HJKMNP-TV-Z]{26}$/),
      customer_id: customerId,
      ...body,
      metadata: { source: "api", seats: 3 },
      status: "active",
      cancel_reason: null,
      canceled_at: null,
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(response.headers.get("Location")).toBe(`${base}/${response.body.id}`);
    expect((await call<Subscription>("GET", `${base}/${response.body.id}`, { key })).body).toEqual(response.body);
  });

  it("defaults the optional fields", async () => {
    const { key, base } = await customerSetup();
    expect(await subscribe(key, base)).toMatchObject({
      resource_id: null,
      billing_period: null,
      addons: [],
      billable_features: [],
      promotion_code: null,
      billing_country_code: null,
      metadata: {},
    });
  });

  it.each([
    ["no plan_id", {}, "/plan_id"],
    ["an unknown field", { ...PRO, quantity: 1 }, "/quantity"],
    ["a read-only field", { ...PRO, status: "canceled" }, "/status"],
    ["an unknown billing period", { ...PRO, billing_period: "weekly" }, "/billing_period"],
    ["a bad country", { ...PRO, billing_country_code: "XX" }, "/billing_country_code"],
    ["a negative quantity", { ...PRO, addons: [{ addon_id: "a", quantity: -1 }] }, "/addons/0/quantity"],
  ])("400 for %s", async (_case, body, pointer) => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("POST", base, { key, body });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("validation_failed");
    expect(response.body.errors?.map((error) => error.pointer)).toContain(pointer);
    expect(await listOf(key, base)).toEqual([]);
  });

  it("409 subscription_exists for a second active subscription of the same plan and resource, naming it", async () => {
    const { key, customerId, base } = await customerSetup();
    const first = await subscribe(key, base, { ...PRO, resource_id: "site-1" });
    const response = await call<Problem>("POST", base, {
      key,
      body: { ...PRO, resource_id: "site-1", promotion_code: "X" },
    });
    expect(response.status).toBe(409);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(response.body).toMatchObject({
      code: "subscription_exists",
      type: "/docs/problems#subscription_exists",
      subscription_id: first.id,
    });
    expect(response.body.detail).toContain(first.id);
    expect(await activeCount(customerId)).toBe(1);
  });

  it("a null resource_id matches null only", async () => {
    const { key, base } = await customerSetup();
    await subscribe(key, base, PRO);
    const again = await call("POST", base, { key, body: { ...PRO, resource_id: null } });
    expect(again.status).toBe(409);
    expect((await call("POST", base, { key, body: { ...PRO, resource_id: "site-1" } })).status).toBe(201);
    expect((await call("POST", base, { key, body: { plan_id: "plan-basic" } })).status).toBe(201);
    expect(await listOf(key, base)).toHaveLength(3);
  });

  it("another customer's active subscription for the plan does not conflict", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    await subscribe(key, `/v1/customers/${other.id}/subscriptions`);
    expect((await call("POST", base, { key, body: PRO })).status).toBe(201);
  });

  it("after a cancel, the same plan can be subscribed again", async () => {
    const { key, base } = await customerSetup();
    const first = await subscribe(key, base);
    await call("DELETE", `${base}/${first.id}`, { key });
    const second = await call<Subscription>("POST", base, { key, body: PRO });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.id);
  });

  it("concurrent identical creates leave one active subscription; the rest are 409", async () => {
    const { key, customerId, base } = await customerSetup();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call<Subscription | Problem>("POST", base, { key, body: PRO })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    const winner = responses.find((response) => response.status === 201)?.body as Subscription | undefined;
    expect(winner?.id).toBeDefined();
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((response.body as Problem).subscription_id).toBe(winner?.id);
    }
    expect(await activeCount(customerId)).toBe(1);
  });
});

describe("GET /v1/customers/{id}/subscriptions", () => {
  it("lists active and canceled subscriptions in insertion order, including provisioned ones", async () => {
    const { key, customerId, base } = await customerSetup();
    const empty = await call<ListBody<Subscription>>("GET", base, { key });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });

    const provisioned = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { id: customerId, subscription: { plan_id: "plan-free" } },
    });
    const a = await subscribe(key, base, { plan_id: "plan-a" });
    const b = await subscribe(key, base, { plan_id: "plan-b" });
    const canceledA = (await call<Subscription>("DELETE", `${base}/${a.id}`, { key })).body;
    const listed = await call<ListBody<Subscription>>("GET", base, { key });
    expect(listed.body).toEqual({
      object: "list",
      data: [provisioned.body.subscription, canceledA, b],
      has_more: false,
      next_cursor: null,
    });
  });

  it("400 for a query parameter", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("GET", `${base}?status=active`, { key });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "#/query/status", detail: "is not a known field" }]);
  });
});

describe("GET /v1/customers/{id}/subscriptions/{subscription_id}", () => {
  it("returns the subscription", async () => {
    const { key, base } = await customerSetup();
    const created = await subscribe(key, base);
    const response = await call<Subscription>("GET", `${base}/${created.id}`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it("404 not_found for an unknown id and for another customer's subscription", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await subscribe(key, `/v1/customers/${other.id}/subscriptions`);
    for (const id of [UNKNOWN_ID, "sub_nonexistent", theirs.id]) {
      const response = await call<Problem>("GET", `${base}/${id}`, { key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
  });

  it("400 for a malformed subscription id", async () => {
    const { key, base } = await customerSetup();
    const response = await call<Problem>("GET", `${base}/sub%3Bdrop`, { key });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.pointer).toBe("#/path/subscription_id");
  });
});

describe("DELETE /v1/customers/{id}/subscriptions/{subscription_id}", () => {
  it("cancels and keeps the subscription; cancelling again changes nothing", async () => {
    const { key, base } = await customerSetup();
    const created = await subscribe(key, base);
    const response = await call<Subscription>("DELETE", `${base}/${created.id}`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...created,
      status: "canceled",
      cancel_reason: "canceled_by_request",
      canceled_at: expect.stringMatching(ISO_MS),
    });
    await new Promise((resolve) => setTimeout(resolve, 3));
    const again = await call<Subscription>("DELETE", `${base}/${created.id}`, { key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(response.body);
    expect((await call<Subscription>("GET", `${base}/${created.id}`, { key })).body).toEqual(response.body);
  });

  it("cancels only that subscription", async () => {
    const { key, base } = await customerSetup();
    const doomed = await subscribe(key, base, { plan_id: "a" });
    const kept = await subscribe(key, base, { plan_id: "b" });
    await call("DELETE", `${base}/${doomed.id}`, { key });
    expect((await call<Subscription>("GET", `${base}/${kept.id}`, { key })).body.status).toBe("active");
  });

  it("404 not_found for an unknown id and for another customer's subscription, which stays active", async () => {
    const { key, base } = await customerSetup();
    const other = await createCustomer(key);
    const theirs = await subscribe(key, `/v1/customers/${other.id}/subscriptions`);
    for (const id of [UNKNOWN_ID, theirs.id]) {
      const response = await call<Problem>("DELETE", `${base}/${id}`, { key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
    expect(
      (await call<Subscription>("GET", `/v1/customers/${other.id}/subscriptions/${theirs.id}`, { key })).body.status,
    ).toBe("active");
  });
});

const ROUTES = (customerPath: string, subscriptionId: string): Route[] => [
  ["GET", `${customerPath}/subscriptions`, undefined],
  ["POST", `${customerPath}/subscriptions`, { plan_id: "plan-intruder" }],
  ["GET", `${customerPath}/subscriptions/${subscriptionId}`, undefined],
  ["DELETE", `${customerPath}/subscriptions/${subscriptionId}`, undefined],
];

describeSubResourceRules({
  resource: "subscriptions",
  name: "subscription",
  unknownId: UNKNOWN_ID,
  create: (key, base) => subscribe(key, base),
  routes: ROUTES,
  notAllowed: { method: "PATCH", on: "object", body: {}, allow: "DELETE, GET, HEAD" },
  // DELETE cancels and keeps the subscription: its own test above.
  afterArchivedRoutes: async (customerId) => {
    // The archive canceled it; the refused POST added none.
    expect(await activeCount(customerId)).toBe(0);
  },
});

describe("writes that race an archive", () => {
  it("a create for a customer archived since the lookup stores nothing", async () => {
    const { orgId, key, customerId } = await customerSetup();
    await call("DELETE", `/v1/customers/${customerId}`, { key });
    const outcome = await createSubscription(
      env.DB,
      orgId,
      customerId,
      newSubscriptionFrom(PRO),
      new Date().toISOString(),
    );
    expect(outcome).toEqual({ status: "customer_gone" });
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });
});

describe("subscriptionsOfCustomersStatement", () => {
  it("loads many customers' subscriptions in one statement, this organization only", async () => {
    const { orgId, key, customerId, base } = await customerSetup();
    const second = await createCustomer(key, { id: "shared" });
    const a = await subscribe(key, base, { plan_id: "a" });
    const b = await subscribe(key, `/v1/customers/${second.id}/subscriptions`, { plan_id: "b" });
    await call("DELETE", `${base}/${a.id}`, { key });
    const other = await newOrganization("Other");
    await createCustomer(other.key, { id: "shared" });
    await subscribe(other.key, "/v1/customers/shared/subscriptions");

    const filler = Array.from({ length: 500 }, (_, index) => `cus_${index}`);
    const { results } = await subscriptionsOfCustomersStatement(env.DB, orgId, [...filler, customerId, "shared"]).all<{
      id: string;
      customer_id: string;
      status: string;
    }>();
    expect(results.map((row) => [row.customer_id, row.id, row.status])).toEqual([
      [customerId, a.id, "canceled"],
      [second.id, b.id, "active"],
    ]);
  });
});

describe("OpenAPI document", () => {
  it("declares every subscription route with its statuses, and the new problem code", async () => {
    const document = (await call<ServedDocument>("GET", "/v1/openapi.json")).body;
    const expected: [string, string, string[]][] = [
      ["get", "/v1/customers/{id}/subscriptions", ["200", "400", "401", "404"]],
      ["post", "/v1/customers/{id}/subscriptions", ["201", "400", "401", "404", "409", "413", "415"]],
      ["get", "/v1/customers/{id}/subscriptions/{subscription_id}", ["200", "400", "401", "404"]],
      ["delete", "/v1/customers/{id}/subscriptions/{subscription_id}", ["200", "400", "401", "404"]],
    ];
    expectOperations(document, expected);
    const conflict = document.paths["/v1/customers/{id}/subscriptions"]?.post?.responses["409"];
    expect(conflict).toMatchObject({ description: expect.stringContaining("subscription_exists") });
    const problems = await call("GET", "/docs/problems");
    expect(problems.text).toMatch(/id="subscription_exists"/);
  });
});
