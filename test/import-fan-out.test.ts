import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_IMPORT_DELIVERIES } from "../src/customers/provision.schemas";
import { createDestination, destinationPath, withQueue } from "./events-helpers";
import { call, expectProblem, newOrganization, withoutImportBudget } from "./helpers";
import { configureTestGateway } from "./money-helpers";
import type { ImportResult } from "./response-types";

// Spec section 7: one request's fan-out (an import's events × the destinations) is bounded.

const count = async (table: "customers" | "events" | "event_deliveries", orgId: string) =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE org_id = ?1`).bind(orgId).first<{ n: number }>())?.n;

const items = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, index) => ({ alternative_id: `${prefix}-${index}` }));

describe("an import's fan-out is bounded", () => {
  it("refuses, writing nothing, an import whose events × selecting destinations pass 10,000", async () => {
    expect(MAX_IMPORT_DELIVERIES).toBe(10_000);
    const { key, orgId } = await newOrganization();
    const destinations = [];
    for (let index = 0; index < 11; index++) destinations.push(await createDestination(key));
    // Selects none of the import's events: does not count.
    await createDestination(key, { event_types: ["address.*"] });
    const { env: queued, sent } = withQueue();
    const queueEnv = withoutImportBudget(queued);

    // 1,000 customer.created events × 11 destinations = 11,000 deliveries.
    const refused = await call("POST", "/v1/customers/import", {
      key,
      body: { customers: items(1000, "a") },
      env: queueEnv,
    });
    const problem = expectProblem(refused, 413, "import_fan_out_too_large");
    expect(problem.detail).toContain("11000");
    expect(await count("customers", orgId)).toBe(0);
    expect(await count("events", orgId)).toBe(0);
    expect(await count("event_deliveries", orgId)).toBe(0);
    expect(sent).toEqual([]);

    // A disabled destination does not count: 1,000 × 10 is within the bound.
    await call("PATCH", destinationPath(destinations[0]!.id), { key, body: { status: "disabled" } });
    const accepted = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: { customers: items(1000, "a") },
      env: queueEnv,
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.results.every((result) => result.status === "created")).toBe(true);
    expect(await count("event_deliveries", orgId)).toBe(10_000);
    expect(sent).toHaveLength(10_000);
  });

  it("counts the subscriptions' events too", async () => {
    const { key, orgId } = await newOrganization();
    for (let index = 0; index < 6; index++) await createDestination(key);
    const queueEnv = withoutImportBudget(withQueue().env);
    // 900 customers with a subscription each: 1,800 events × 6 = 10,800.
    const withSubscriptions = items(900, "s").map((item) => ({ ...item, subscription: { plan_id: "pro" } }));
    expectProblem(
      await call("POST", "/v1/customers/import", { key, body: { customers: withSubscriptions }, env: queueEnv }),
      413,
      "import_fan_out_too_large",
    );
    expect(await count("customers", orgId)).toBe(0);
    // Without them: 900 × 6 = 5,400.
    const accepted = await call("POST", "/v1/customers/import", {
      key,
      body: { customers: items(900, "s") },
      env: queueEnv,
    });
    expect(accepted.status).toBe(200);
    expect(await count("event_deliveries", orgId)).toBe(5_400);
  });

  it("counts the payment_method.created events of the cards an item imports from the gateway", async () => {
    const { key, orgId } = await newOrganization();
    await configureTestGateway(key);
    for (let index = 0; index < 10; index++) await createDestination(key);
    const queueEnv = withoutImportBudget(withQueue().env);
    const linked = { alternative_id: "p-linked", gateway_customer_reference: "gcus_test_with_cards" };

    // 999 customer.created × 10 = 9,990, and the linked item's two cards 2 × 10 more: 10,010.
    const refused = await call("POST", "/v1/customers/import", {
      key,
      body: { customers: [...items(998, "p"), { ...linked, import_payment_methods: true }] },
      env: queueEnv,
    });
    expect(expectProblem(refused, 413, "import_fan_out_too_large").detail).toContain("10010");
    expect(await count("customers", orgId)).toBe(0);
    expect(await count("event_deliveries", orgId)).toBe(0);

    // The same items without the cards: 9,990, within the bound.
    const accepted = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: { customers: [...items(998, "p"), linked] },
      env: queueEnv,
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(await count("event_deliveries", orgId)).toBe(9_990);
  });
});
