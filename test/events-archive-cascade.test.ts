import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toSubscriptionObject } from "../src/subscriptions/subscriptions.object";
import type { SubscriptionRow } from "../src/subscriptions/subscriptions.repository";
import { createDestination, delivery, mockReceiver } from "./events-helpers";
import {
  type ArchivedCustomer,
  type Called,
  call,
  createCustomer,
  type Event,
  type EventDeliveryList,
  type EventList,
  type ListBody,
  newOrganization,
  type Subscription,
} from "./helpers";
import type { AddressObject, PaymentMethodObject } from "./response-types";
import { createEndpoint, deliver } from "./webhooks-helpers";

/**
 * The archive's cascade records its own events (spec section 10): one `subscription.canceled`
 * per subscription it cancels, one `address.deleted` / `payment_method.deleted` per record it
 * deletes, then `customer.archived`, all in the archive's batch, erased of what it erases.
 */

async function eventsOf(key: string, customerId: string): Promise<Event[]> {
  const response = await call<EventList>("GET", `/v1/events?limit=100&customer_id=${customerId}`, { key });
  expect(response.status, response.text).toBe(200);
  return response.body.data.reverse();
}

const typesOf = (events: Event[]) => events.map((event) => event.type);

/** What archiving a customer with 2 active subscriptions, 2 addresses and 1 card records, in order. */
const CASCADE_OF_TWO_SUBSCRIPTIONS_TWO_ADDRESSES_ONE_CARD = [
  "subscription.canceled",
  "subscription.canceled",
  "address.deleted",
  "address.deleted",
  "payment_method.deleted",
  "customer.archived",
];

async function listOf<T>(key: string, path: string): Promise<T[]> {
  const response = await call<ListBody<T>>("GET", path, { key });
  expect(response.status, response.text).toBe(200);
  return response.body.data;
}

async function created<T>(response: Promise<Called<T>>): Promise<T> {
  const answered = await response;
  expect(answered.status, answered.text).toBe(201);
  return answered.body;
}

/** What the archive erases from addresses and payment methods, in every event about them. */
const ERASED_ADDRESS = { line1: null, line2: null, city: null, state: null, postal_code: null };
const ERASED_CARD = { gateway_reference: null, brand: null, last4: null, exp_month: null, exp_year: null };

const BILLING = {
  type: "billing",
  line1: "1 Main St",
  line2: "Apt 4",
  city: "Springfield",
  state: "IL",
  postal_code: "62701",
  country: "US",
};
const SHIPPING = { type: "shipping", line1: "9 Side Rd", city: "Shelbyville", country: "US" };
const CARD = {
  gateway: "stripe",
  gateway_reference: "pm_1Secret",
  brand: "visa",
  last4: "4242",
  exp_month: 12,
  exp_year: 2030,
};

/** A customer with 2 active and 1 canceled subscription, 2 addresses and 1 payment method. */
async function customerWithRecords(key: string, fields: Record<string, unknown> = {}) {
  const customer = await createCustomer(key, { email: "jenny@example.com", name: "Jenny Rosen", ...fields });
  const path = `/v1/customers/${customer.id}`;
  const post = <T>(records: string, body: Record<string, unknown>) =>
    created(call<T>("POST", `${path}/${records}`, { key, body }));
  await post<Subscription>("subscriptions", {
    plan_id: "pro",
    billing_period: "monthly",
    addons: [{ addon_id: "seats", quantity: 3 }],
    metadata: { crm: "A-1" },
  });
  const old = await post<Subscription>("subscriptions", { plan_id: "legacy" });
  expect((await call("DELETE", `${path}/subscriptions/${old.id}`, { key })).status).toBe(200);
  await post<Subscription>("subscriptions", { plan_id: "team", resource_id: "workspace-1" });
  await post<AddressObject>("addresses", BILLING);
  await post<AddressObject>("addresses", SHIPPING);
  await post<PaymentMethodObject>("payment_methods", CARD);
  return { customer, path };
}

/** The customer's records as their list GETs return them. */
async function recordsOf(key: string, path: string) {
  return {
    subscriptions: await listOf<Subscription>(key, `${path}/subscriptions`),
    addresses: await listOf<AddressObject>(key, `${path}/addresses`),
    paymentMethods: await listOf<PaymentMethodObject>(key, `${path}/payment_methods`),
  };
}

/** The events the archive recorded for `records` (as read before it), archived at `at`. */
function expectedCascade(records: Awaited<ReturnType<typeof recordsOf>>, at: string) {
  return [
    ...records.subscriptions
      .filter((subscription) => subscription.status === "active")
      .map((subscription) => ({
        type: "subscription.canceled",
        object: { ...subscription, status: "canceled", cancel_reason: "customer_archived", canceled_at: at },
      })),
    ...records.addresses.map((address) => ({ type: "address.deleted", object: { ...address, ...ERASED_ADDRESS } })),
    ...records.paymentMethods.map((card) => ({ type: "payment_method.deleted", object: { ...card, ...ERASED_CARD } })),
  ];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("archive cascade events", () => {
  it("2 active + 1 canceled subscription, 2 addresses, 1 payment method: 5 cascade events, then customer.archived", async () => {
    const { key } = await newOrganization();
    const { customer, path } = await customerWithRecords(key);
    const records = await recordsOf(key, path);
    expect(records.subscriptions.map((subscription) => subscription.status)).toEqual(["active", "canceled", "active"]);
    const earlier = await eventsOf(key, customer.id);
    const destination = await createDestination(key, { event_types: ["subscription.*"] });
    const { received } = mockReceiver(() => 204);

    const archived = await call<ArchivedCustomer>("DELETE", path, { key });
    expect(archived.status).toBe(200);
    const at = archived.body.archived_at;
    const events = (await eventsOf(key, customer.id)).slice(earlier.length);
    expect(typesOf(events)).toEqual(CASCADE_OF_TWO_SUBSCRIPTIONS_TWO_ADDRESSES_ONE_CARD);
    // Consecutive sequences after the last earlier one; customer.archived the highest.
    const last = earlier.at(-1)?.sequence ?? 0;
    expect(events.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6].map((step) => last + step));
    const requestId = archived.headers.get("X-Request-Id");
    for (const event of events) {
      expect(event).toMatchObject({ customer_id: customer.id, request_id: requestId, created_at: at });
    }
    expect(events.slice(0, 5).map((event) => ({ type: event.type, object: event.data.object }))).toEqual(
      expectedCascade(records, at),
    );
    expect(events[5]?.data.object).toMatchObject({ id: customer.id, archived: true, email: null, name: null });
    for (const event of events) expect(event.data.previous_attributes).toBeUndefined();

    // The subscription.canceled objects are the subscriptions as they are now stored.
    const { results: stored } = await env.DB.prepare(
      "SELECT * FROM subscriptions WHERE customer_id = ?1 AND cancel_reason = 'customer_archived' ORDER BY rowid",
    )
      .bind(customer.id)
      .all<SubscriptionRow>();
    expect(stored.map(toSubscriptionObject)).toEqual(events.slice(0, 2).map((event) => event.data.object));

    // The destination that selects subscription.* gets exactly those two, through the queue.
    const deliveries = await call<EventDeliveryList>("GET", `/v1/event_destinations/${destination.id}/deliveries`, {
      key,
    });
    const canceledIds = events.slice(0, 2).map((event) => event.id);
    expect(deliveries.body.data.map((each) => each.event_id).sort()).toEqual([...canceledIds].sort());
    for (const each of deliveries.body.data) {
      await vi.waitFor(async () => expect((await delivery(each.id)).status).toBe("succeeded"), {
        timeout: 5000,
        interval: 50,
      });
    }
    const verified = received.map(
      (request) =>
        new Webhook(destination.secret).verify(request.body, Object.fromEntries(request.headers)) as { id: string },
    );
    expect(verified.map((event) => event.id).sort()).toEqual([...canceledIds].sort());
  });

  it("webhook intake's customer.archive records the same events, with the delivery's request id", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const { customer, path } = await customerWithRecords(key, { alternative_id: "w-archive" });
    const records = await recordsOf(key, path);
    const earlier = await eventsOf(key, customer.id);

    const response = await deliver(endpoint, { type: "customer.archive", data: { alternative_id: "w-archive" } });
    expect(response.body.status).toBe("applied");
    const events = (await eventsOf(key, customer.id)).slice(earlier.length);
    const archivedEvent = events.at(-1);
    expect(archivedEvent?.type).toBe("customer.archived");
    const at = String(archivedEvent?.data.object.archived_at);
    expect(events.slice(0, -1).map((event) => ({ type: event.type, object: event.data.object }))).toEqual(
      expectedCascade(records, at),
    );
    const last = earlier.at(-1)?.sequence ?? 0;
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => last + index + 1));
    for (const event of events) expect(event.request_id).toBe(response.headers.get("X-Request-Id"));
  });

  it("archiving again records nothing, by id or by alternative ID", async () => {
    const { key } = await newOrganization();
    const { customer, path } = await customerWithRecords(key, { alternative_id: "twice" });
    expect((await call("DELETE", path, { key })).status).toBe(200);
    const after = await eventsOf(key, customer.id);
    expect(typesOf(after).filter((type) => type === "address.deleted")).toHaveLength(2);
    expect((await call("DELETE", path, { key })).status).toBe(200);
    expect((await call("DELETE", "/v1/customers/alternative-id/twice", { key })).status).toBe(404);
    expect(await eventsOf(key, customer.id)).toEqual(after);
    const counter = await env.DB.prepare("SELECT event_sequence FROM customers WHERE id = ?1")
      .bind(customer.id)
      .first<{ event_sequence: number }>();
    expect(counter?.event_sequence).toBe(after.at(-1)?.sequence);
  });
  it("concurrent archives of one customer record its cascade and customer.archived once", async () => {
    const { key } = await newOrganization();
    const { customer, path } = await customerWithRecords(key);
    const earlier = await eventsOf(key, customer.id);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call<ArchivedCustomer>("DELETE", path, { key })),
    );
    for (const response of responses) expect(response.status).toBe(200);
    expect(new Set(responses.map((response) => response.body.archived_at)).size).toBe(1);
    const events = (await eventsOf(key, customer.id)).slice(earlier.length);
    expect(typesOf(events)).toEqual(CASCADE_OF_TWO_SUBSCRIPTIONS_TWO_ADDRESSES_ONE_CARD);
    expect(new Set(events.map((event) => event.request_id)).size).toBe(1);
  });
});

describe("erasure", () => {
  it("the archive erases address lines and card details from every address.* and payment_method.* event", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key, { email: "erase@example.com" });
    const path = `/v1/customers/${customer.id}`;
    const kept = await created(call<AddressObject>("POST", `${path}/addresses`, { key, body: BILLING }));
    const patched = await call("PATCH", `${path}/addresses/${kept.id}`, {
      key,
      body: { line1: "2 Other Ave", postal_code: "62702" },
    });
    expect(patched.status).toBe(200);
    const gone = await created(call<AddressObject>("POST", `${path}/addresses`, { key, body: SHIPPING }));
    expect((await call("DELETE", `${path}/addresses/${gone.id}`, { key })).status).toBe(200);
    const card = await created(call<PaymentMethodObject>("POST", `${path}/payment_methods`, { key, body: CARD }));
    const removed = await created(
      call<PaymentMethodObject>("POST", `${path}/payment_methods`, {
        key,
        body: { ...CARD, gateway_reference: "pm_2Secret", last4: "1881" },
      }),
    );
    expect((await call("DELETE", `${path}/payment_methods/${removed.id}`, { key })).status).toBe(200);
    await created(call<Subscription>("POST", `${path}/subscriptions`, { key, body: { plan_id: "pro" } }));

    expect((await call("DELETE", path, { key })).status).toBe(200);
    const events = await eventsOf(key, customer.id);
    expect(typesOf(events)).toEqual([
      "customer.created",
      "address.created",
      "address.updated",
      "address.created",
      "address.deleted",
      "payment_method.created",
      "payment_method.created",
      "payment_method.deleted",
      "subscription.created",
      "subscription.canceled",
      "address.deleted",
      "payment_method.deleted",
      "customer.archived",
    ]);
    const addressEvents = events.filter((event) => event.type.startsWith("address."));
    const cardEvents = events.filter((event) => event.type.startsWith("payment_method."));
    expect(addressEvents).toHaveLength(5);
    for (const event of addressEvents) {
      // What the address was beyond its lines stays: its id, type, country, default flag, times.
      expect(event.data.object).toMatchObject({ object: "address", ...ERASED_ADDRESS, country: "US" });
      expect(["billing", "shipping"]).toContain(event.data.object.type);
    }
    expect(events[2]?.data.previous_attributes).toEqual({ line1: null, postal_code: null });
    expect(cardEvents).toHaveLength(4);
    for (const event of cardEvents) {
      expect(event.data.object).toMatchObject({ object: "payment_method", ...ERASED_CARD, gateway: "stripe" });
    }
    expect(cardEvents.map((event) => event.data.object.id)).toEqual([card.id, removed.id, removed.id, card.id]);
    // Subscriptions hold no PII: their events keep everything.
    expect(events[9]?.data.object).toMatchObject({ plan_id: "pro", cancel_reason: "customer_archived" });

    const listed = (await call("GET", "/v1/events?limit=100", { key })).text;
    for (const erased of [
      "erase@example.com",
      "1 Main St",
      "Apt 4",
      "Springfield",
      "62701",
      "2 Other Ave",
      "62702",
      "9 Side Rd",
      "Shelbyville",
      "pm_1Secret",
      "pm_2Secret",
      "4242",
      "1881",
    ]) {
      expect(listed).not.toContain(erased);
    }
  });
});

describe("an archive racing creates under the customer", () => {
  it("one event per committed change, sequences without gaps, customer.archived last", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const path = `/v1/customers/${customer.id}`;
    // Sent together: a create that lands before the archive's batch moves the customer's event
    // sequence, so the archive re-reads and its cascade includes it; one that comes after finds
    // the customer gone (404) and records nothing.
    const address = (index: number) =>
      call<AddressObject>("POST", `${path}/addresses`, { key, body: { line1: `${index} Main St`, country: "US" } });
    const subscription = (index: number) =>
      call<Subscription>("POST", `${path}/subscriptions`, { key, body: { plan_id: `plan-${index}` } });
    const [addressResponses, archived, subscriptionResponses] = await Promise.all([
      Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(address)),
      call("DELETE", path, { key }),
      Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(subscription)),
    ]);
    const late = await Promise.all([address(8), subscription(8)]);
    for (const response of late) expect(response.status).toBe(404);
    expect(archived.status).toBe(200);
    for (const response of [...addressResponses, ...subscriptionResponses]) {
      expect([201, 404]).toContain(response.status);
    }
    const idsCreated = (responses: Called<{ id: string }>[]) =>
      responses
        .filter((response) => response.status === 201)
        .map((response) => response.body.id)
        .sort();
    const addressIds = idsCreated(addressResponses);
    const subscriptionIds = idsCreated(subscriptionResponses);
    console.log("RACE", addressIds.length, subscriptionIds.length, archived.status);

    const events = await eventsOf(key, customer.id);
    const idsOf = (type: string) =>
      events
        .filter((event) => event.type === type)
        .map((event) => String(event.data.object.id))
        .sort();
    expect(idsOf("address.created")).toEqual(addressIds);
    expect(idsOf("address.deleted")).toEqual(addressIds);
    expect(idsOf("subscription.created")).toEqual(subscriptionIds);
    expect(idsOf("subscription.canceled")).toEqual(subscriptionIds);
    expect(events).toHaveLength(2 + 2 * (addressIds.length + subscriptionIds.length));
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events.at(-1)?.type).toBe("customer.archived");
    // Every record the archive changed was created before it: its event comes earlier.
    const position = new Map(events.map((event, index) => [`${event.type} ${event.data.object.id}`, index]));
    for (const id of addressIds) {
      expect(position.get(`address.created ${id}`)).toBeLessThan(position.get(`address.deleted ${id}`) ?? -1);
    }
    const counter = await env.DB.prepare("SELECT event_sequence FROM customers WHERE id = ?1")
      .bind(customer.id)
      .first<{ event_sequence: number }>();
    expect(counter?.event_sequence).toBe(events.length);
    const left = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM addresses WHERE customer_id = ?1)
         + (SELECT count(*) FROM subscriptions WHERE customer_id = ?1 AND status = 'active') AS n`,
    )
      .bind(customer.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
});
