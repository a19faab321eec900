import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type Called,
  type CustomerObject,
  call,
  createCustomer,
  type Event,
  type EventList,
  newOrganization,
  type ProvisioningResult,
  type Subscription,
} from "./helpers";
import type { AddressObject, ImportResult, PaymentMethodObject } from "./response-types";
import { createEndpoint, deliver, provisionEvent } from "./webhooks-helpers";

/** Every write path records exactly the event of its change (spec section 10), read back through the API. */

/** The customer's events, oldest first. */
async function eventsOf(key: string, customerId: string): Promise<Event[]> {
  const response = await call<EventList>("GET", `/v1/events?limit=100&customer_id=${encodeURIComponent(customerId)}`, {
    key,
  });
  expect(response.status, response.text).toBe(200);
  return response.body.data.reverse();
}

const typesOf = (events: Event[]) => events.map((event) => event.type);

/** The single event the response's request recorded. */
async function eventOf(key: string, customerId: string, response: Called<unknown>): Promise<Event> {
  const requestId = response.headers.get("X-Request-Id");
  const events = (await eventsOf(key, customerId)).filter((event) => event.request_id === requestId);
  expect(events).toHaveLength(1);
  return events[0] as Event;
}

const JENNY = { alternative_id: "user_jenny", email: "jenny@example.com", name: "Jenny Rosen", metadata: { a: 1 } };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("customer routes", () => {
  it("create: customer.created with the customer as GET returns it, sequence 1, the request id", async () => {
    const { key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: JENNY });
    const event = await eventOf(key, created.body.id, created);
    const got = await call<CustomerObject>("GET", `/v1/customers/${created.body.id}`, { key });
    expect(event).toMatchObject({ type: "customer.created", customer_id: created.body.id, sequence: 1 });
    expect(event.request_id).toMatch(/^req_/);
    expect(event.data).toEqual({ object: got.body });
  });

  it("PATCH: customer.updated with exactly the old values of the fields that changed; the whole old metadata", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, JENNY);
    const path = `/v1/customers/${customer.id}`;
    const patched = await call("PATCH", path, { key, body: { name: "Jenny R.", metadata: { b: 2 }, phone: null } });
    expect(patched.status).toBe(200);
    const event = await eventOf(key, customer.id, patched);
    expect(event).toMatchObject({ type: "customer.updated", sequence: 2 });
    expect(event.data.object).toEqual((await call("GET", path, { key })).body);
    expect(event.data.previous_attributes).toEqual({ name: "Jenny Rosen", metadata: { a: 1 } });
  });

  it("a PATCH that changes nothing records nothing", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, JENNY);
    const response = await call("PATCH", `/v1/customers/${customer.id}`, { key, body: { name: "Jenny Rosen" } });
    expect(response.status).toBe(200);
    expect(typesOf(await eventsOf(key, customer.id))).toEqual(["customer.created"]);
  });

  it("failed writes record nothing: 409, 412, 400", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, JENNY);
    await createCustomer(key, { email: "taken@example.com" });
    const path = `/v1/customers/${customer.id}`;
    expect((await call("PATCH", path, { key, body: { email: "taken@example.com" } })).status).toBe(409);
    const stale = { key, body: { name: "x" }, headers: { "If-Match": '"stale-1"' } };
    expect((await call("PATCH", path, stale)).status).toBe(412);
    expect((await call("PATCH", path, { key, body: { email: "not an email" } })).status).toBe(400);
    expect((await call("POST", "/v1/customers", { key, body: { email: "taken@example.com" } })).status).toBe(409);
    expect(typesOf(await eventsOf(key, customer.id))).toEqual(["customer.created"]);
    const all = await call<EventList>("GET", "/v1/events?limit=100", { key });
    expect(all.body.data).toHaveLength(2); // the two creates
  });

  it("PUT and a metadata-key DELETE record customer.updated; an absent key records nothing", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, JENNY);
    const path = `/v1/customers/${customer.id}`;
    const put = await call("PUT", path, { key, body: { email: "jenny@example.com", metadata: { a: 1, c: 3 } } });
    expect((await eventOf(key, customer.id, put)).data.previous_attributes).toEqual({
      name: "Jenny Rosen",
      metadata: { a: 1 },
    });
    const removed = await call("DELETE", `${path}/metadata/c`, { key });
    expect(removed.status).toBe(200);
    expect((await eventOf(key, customer.id, removed)).data.previous_attributes).toEqual({ metadata: { a: 1, c: 3 } });
    expect((await call("DELETE", `${path}/metadata/absent`, { key })).status).toBe(200);
    const events = await eventsOf(key, customer.id);
    expect(typesOf(events)).toEqual(["customer.created", "customer.updated", "customer.updated"]);
    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3]);
  });

  it("archive: customer.archived carries no PII, and every earlier event about the customer loses it", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { ...JENNY, phone: "+1 555 0100" });
    await call("PATCH", `/v1/customers/${customer.id}`, { key, body: { email: "jenny.r@example.com" } });
    await call("POST", `/v1/customers/${customer.id}/addresses`, {
      key,
      body: { line1: "1 Main St", city: "Springfield", country: "US" },
    });
    expect((await call("DELETE", `/v1/customers/${customer.id}`, { key })).status).toBe(200);
    const events = await eventsOf(key, customer.id);
    expect(typesOf(events)).toEqual([
      "customer.created",
      "customer.updated",
      "address.created",
      "address.deleted",
      "customer.archived",
    ]);
    expect(events.at(-1)?.data.object).toMatchObject({ id: customer.id, archived: true, email: null, name: null });
    const listed = (await call("GET", "/v1/events?limit=100", { key })).text;
    for (const pii of [
      "jenny@example.com",
      "jenny.r@example.com",
      "Jenny Rosen",
      "user_jenny",
      "555 0100",
      "1 Main St",
    ]) {
      expect(listed).not.toContain(pii);
    }
    // Archiving again changes nothing: no second event.
    expect((await call("DELETE", `/v1/customers/${customer.id}`, { key })).status).toBe(200);
    expect(await eventsOf(key, customer.id)).toHaveLength(5);
  });

  it("archive by alternative ID, then unarchive: customer.archived, customer.unarchived", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, JENNY);
    const archived = await call("DELETE", "/v1/customers/alternative-id/user_jenny", { key });
    expect(archived.status).toBe(200);
    const unarchived = await call<CustomerObject>("POST", `/v1/customers/${customer.id}/unarchive`, { key });
    expect(unarchived.status).toBe(200);
    const event = await eventOf(key, customer.id, unarchived);
    expect(event).toMatchObject({ type: "customer.unarchived", sequence: 3 });
    expect(event.data.object).toEqual(unarchived.body);
    expect((await call("POST", `/v1/customers/${customer.id}/unarchive`, { key })).status).toBe(200);
    expect(typesOf(await eventsOf(key, customer.id))).toEqual([
      "customer.created",
      "customer.archived",
      "customer.unarchived",
    ]);
  });
});

describe("records under a customer", () => {
  it("subscriptions: created and canceled, once; a second cancel and a refused create record nothing", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const base = `/v1/customers/${customer.id}/subscriptions`;
    const created = await call<Subscription>("POST", base, { key, body: { plan_id: "pro" } });
    expect(created.status).toBe(201);
    expect((await eventOf(key, customer.id, created)).data).toEqual({ object: created.body });
    expect((await call("POST", base, { key, body: { plan_id: "pro" } })).status).toBe(409);
    const canceled = await call<Subscription>("DELETE", `${base}/${created.body.id}`, { key });
    expect((await eventOf(key, customer.id, canceled)).data).toEqual({ object: canceled.body });
    expect((await call("DELETE", `${base}/${created.body.id}`, { key })).status).toBe(200);
    const events = await eventsOf(key, customer.id);
    expect(typesOf(events)).toEqual(["customer.created", "subscription.created", "subscription.canceled"]);
    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3]);
  });

  it("addresses: created, updated (previous_attributes), deleted; a no-op PATCH records nothing", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const base = `/v1/customers/${customer.id}/addresses`;
    const created = await call<AddressObject>("POST", base, {
      key,
      body: { line1: "1 Main St", city: "A", country: "US" },
    });
    expect((await eventOf(key, customer.id, created)).data).toEqual({ object: created.body });
    const path = `${base}/${created.body.id}`;
    const updated = await call<AddressObject>("PATCH", path, { key, body: { city: "B", country: "US" } });
    expect((await eventOf(key, customer.id, updated)).data).toEqual({
      object: updated.body,
      previous_attributes: { city: "A" },
    });
    expect((await call("PATCH", path, { key, body: { city: "B" } })).status).toBe(200);
    const deleted = await call("DELETE", path, { key });
    expect((await eventOf(key, customer.id, deleted)).data).toEqual({ object: updated.body });
    expect((await call("DELETE", path, { key })).status).toBe(404);
    expect(typesOf(await eventsOf(key, customer.id))).toEqual([
      "customer.created",
      "address.created",
      "address.updated",
      "address.deleted",
    ]);
  });

  it("payment methods: created and deleted", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const base = `/v1/customers/${customer.id}/payment_methods`;
    const created = await call<PaymentMethodObject>("POST", base, {
      key,
      body: { gateway_reference: "pm_ext_1", last4: "4242" },
    });
    expect(created.status).toBe(201);
    expect((await eventOf(key, customer.id, created)).data).toEqual({ object: created.body });
    const deleted = await call("DELETE", `${base}/${created.body.id}`, { key });
    expect((await eventOf(key, customer.id, deleted)).data).toEqual({ object: created.body });
    expect(typesOf(await eventsOf(key, customer.id))).toEqual([
      "customer.created",
      "payment_method.created",
      "payment_method.deleted",
    ]);
  });
});

describe("provision, import and webhook intake record what the single routes do", () => {
  it("provision: created with its subscription, then updated, then nothing for a repeat", async () => {
    const { key } = await newOrganization();
    const body = { alternative_id: "p1", email: "p1@example.com", subscription: { plan_id: "pro" } };
    const first = await call<ProvisioningResult>("POST", "/v1/customers/provision", { key, body });
    expect(first.status).toBe(201);
    const id = first.body.customer.id;
    const second = await call("POST", "/v1/customers/provision", { key, body: { ...body, name: "P" } });
    expect(second.status).toBe(200);
    await call("POST", "/v1/customers/provision", { key, body: { ...body, name: "P" } });
    const events = await eventsOf(key, id);
    expect(typesOf(events)).toEqual(["customer.created", "subscription.created", "customer.updated"]);
    expect(events[0]?.data.object).toEqual({ ...first.body.customer });
    expect(events[1]?.data.object).toEqual(first.body.subscription);
    expect(events[2]?.data.previous_attributes).toEqual({ name: null });
    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3]);
  });

  it("import: set-based, the same events, one per customer change and per new subscription", async () => {
    const { key } = await newOrganization();
    const existing = await createCustomer(key, { alternative_id: "i0", name: "Old" });
    const response = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: {
        customers: [
          { alternative_id: "i0", name: "New" },
          { alternative_id: "i1", email: "i1@example.com", subscription: { plan_id: "pro" } },
          { alternative_id: "i2", email: "not an email" },
          { alternative_id: "i0", name: "New" },
        ],
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ created: 1, updated: 2, failed: 1 });
    const updated = await eventsOf(key, existing.id);
    expect(typesOf(updated)).toEqual(["customer.created", "customer.updated"]);
    expect(updated[1]?.data.previous_attributes).toEqual({ name: "Old" });
    expect(updated[1]?.data.object).toEqual((await call("GET", `/v1/customers/${existing.id}`, { key })).body);
    const newId = response.body.results[1]?.id ?? "";
    expect(newId).toMatch(/^cus_/);
    const created = await eventsOf(key, newId);
    expect(typesOf(created)).toEqual(["customer.created", "subscription.created"]);
    expect(created.map((event) => event.sequence)).toEqual([1, 2]);
    expect(created[0]?.request_id).toBe(response.headers.get("X-Request-Id"));
    expect(created[1]?.data.object).toMatchObject({ customer_id: newId, plan_id: "pro", status: "active" });
  });

  it("webhook intake: provision creates and updates, archive archives, with the delivery's request id", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const first = await deliver(endpoint, provisionEvent({ alternative_id: "w1", email: "w1@example.com" }));
    expect(first.body.status).toBe("applied");
    const id = first.body.customer_id ?? "";
    expect(id).toMatch(/^cus_/);
    await deliver(endpoint, provisionEvent({ alternative_id: "w1", name: "W" }));
    const archived = await deliver(endpoint, { type: "customer.archive", data: { alternative_id: "w1" } });
    expect(archived.body.status).toBe("applied");
    const events = await eventsOf(key, id);
    expect(typesOf(events)).toEqual(["customer.created", "customer.updated", "customer.archived"]);
    expect(events[0]?.request_id).toBe(first.headers.get("X-Request-Id"));
    expect(JSON.stringify(events)).not.toContain("w1@example.com");
  });
});
