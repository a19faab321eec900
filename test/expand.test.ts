import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  altPath,
  type CustomerList,
  type CustomerObject,
  call,
  countingD1,
  createCustomer,
  newOrganization,
  type Problem,
  type Subscription,
} from "./helpers";
import type { AddressObject, ImportResult, PaymentMethodObject } from "./response-types";

async function customerWithRecords(key: string, alternativeId: string) {
  const customer = await createCustomer(key, { alternative_id: alternativeId });
  const base = `/v1/customers/${customer.id}`;
  const address = await call<AddressObject>("POST", `${base}/addresses`, {
    key,
    body: { line1: `${alternativeId} street`, country: "US" },
  });
  const subscription = await call<Subscription>("POST", `${base}/subscriptions`, {
    key,
    body: { plan_id: "pro" },
  });
  const method = await call<PaymentMethodObject>("POST", `${base}/payment_methods`, {
    key,
    body: { gateway: "stripe", gateway_reference: `pm_${alternativeId}` },
  });
  return { customer, address: address.body, subscription: subscription.body, method: method.body };
}

describe("expand", () => {
  it("adds the requested arrays to GET by id and by alternative ID, and nothing else", async () => {
    const { key } = await newOrganization();
    const { customer, address, subscription, method } = await customerWithRecords(key, "with-records");
    const all = await call<CustomerObject>(
      "GET",
      `/v1/customers/${customer.id}?expand=addresses,subscriptions,payment_methods`,
      {
        key,
      },
    );
    expect(all.status).toBe(200);
    expect(all.body.addresses).toEqual([address]);
    expect(all.body.subscriptions).toEqual([subscription]);
    expect(all.body.payment_methods).toEqual([method]);
    const some = await call<CustomerObject>("GET", `${altPath("with-records")}?expand=subscriptions`, { key });
    expect(some.body.subscriptions).toEqual([subscription]);
    expect(some.body).not.toHaveProperty("addresses");
    expect(some.body).not.toHaveProperty("payment_methods");
    const none = await call<CustomerObject>("GET", `/v1/customers/${customer.id}`, { key });
    expect(none.body).not.toHaveProperty("subscriptions");
    expect(all.headers.get("ETag")).toBe(none.headers.get("ETag"));
  });

  it("gives each customer of a list page its own records", async () => {
    const { key } = await newOrganization();
    const first = await customerWithRecords(key, "first");
    const bare = await createCustomer(key);
    const second = await customerWithRecords(key, "second");
    const page = await call<CustomerList>("GET", "/v1/customers?expand=addresses,payment_methods", { key });
    const byId = new Map(page.body.data.map((c) => [c.id, c]));
    expect(byId.get(second.customer.id)).toMatchObject({
      addresses: [second.address],
      payment_methods: [second.method],
    });
    expect(byId.get(first.customer.id)).toMatchObject({ addresses: [first.address], payment_methods: [first.method] });
    expect(byId.get(bare.id)).toMatchObject({ addresses: [], payment_methods: [] });
  });

  it.each(["addresses,bogus", "everything", ""])("rejects expand=%j with 400 at #/query/expand", async (value) => {
    const { key } = await newOrganization();
    const created = await createCustomer(key);
    for (const path of [`/v1/customers?expand=${value}`, `/v1/customers/${created.id}?expand=${value}`]) {
      const response = await call<Problem>("GET", path, { key });
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((e) => e.pointer)).toEqual(["#/query/expand"]);
    }
  });

  it("loads a 100-customer page with every expansion in a fixed number of D1 round trips", async () => {
    const { key } = await newOrganization();
    const created = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: {
        customers: Array.from({ length: 100 }, (_, i) => ({ alternative_id: `u${i}`, subscription: { plan_id: "p" } })),
      },
    });
    expect(created.body.created).toBe(100);
    const d1 = countingD1(env.DB);
    const page = await call<CustomerList>(
      "GET",
      "/v1/customers?limit=100&expand=addresses,subscriptions,payment_methods",
      {
        key,
        env: { ...env, DB: d1.db },
      },
    );
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(100);
    expect(page.body.data.every((c) => c.subscriptions?.length === 1)).toBe(true);
    // the page and one batch for all three expansions (plus the API-key lookup, unless cached)
    expect(d1.roundTrips()).toBeLessThanOrEqual(3);
  });
});
