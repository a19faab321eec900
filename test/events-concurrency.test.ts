import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDestination, delivery, mockReceiver } from "./events-helpers";
import {
  type CustomerObject,
  call,
  createCustomer,
  type Event,
  type EventDeliveryList,
  type EventList,
  newOrganization,
  type Subscription,
} from "./helpers";

/** One event per committed change under concurrency, and delivery of recorded events end to end. */

async function eventsOf(key: string, customerId: string): Promise<Event[]> {
  const response = await call<EventList>("GET", `/v1/events?limit=100&customer_id=${customerId}`, { key });
  expect(response.status).toBe(200);
  return response.body.data.reverse();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("concurrent changes", () => {
  it("20 concurrent PATCHes that each change something, 10 that change the same thing: one event per change", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const path = `/v1/customers/${customer.id}`;
    const distinct = Array.from({ length: 20 }, (_, i) =>
      call("PATCH", path, { key, body: { metadata: { [`k${i}`]: i } } }),
    );
    const identical = Array.from({ length: 10 }, () => call("PATCH", path, { key, body: { language: "de" } }));
    const [changed, same] = await Promise.all([Promise.all(distinct), Promise.all(identical)]);

    const succeeded = changed.filter((response) => response.status === 200).length;
    expect(succeeded).toBeGreaterThan(0);
    for (const response of [...changed, ...same]) expect([200, 503]).toContain(response.status);
    const final = await call<CustomerObject>("GET", path, { key });
    expect(Object.keys(final.body.metadata)).toHaveLength(succeeded);
    expect(final.body.language).toBe("de");

    const events = await eventsOf(key, customer.id);
    const updates = events.filter((event) => event.type === "customer.updated");
    const languageChanges = updates.filter((event) => event.data.previous_attributes?.language !== undefined);
    expect(languageChanges).toHaveLength(1);
    expect(updates).toHaveLength(succeeded + 1);
    // Sequences: distinct, increasing in the order the events were recorded, with no gap.
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    // Each metadata event's previous_attributes is the metadata the previous change left.
    const metadataChanges = updates.filter((event) => event.data.previous_attributes?.metadata !== undefined);
    const sizes = metadataChanges.map((event) => Object.keys(event.data.previous_attributes?.metadata ?? {}).length);
    expect(sizes).toEqual(metadataChanges.map((_, index) => index));
  });

  it("concurrent cancels of one subscription record one subscription.canceled", async () => {
    const { key } = await newOrganization();
    const customer = await createCustomer(key);
    const base = `/v1/customers/${customer.id}/subscriptions`;
    const subscription = await call<Subscription>("POST", base, { key, body: { plan_id: "pro" } });
    const cancels = await Promise.all(
      Array.from({ length: 10 }, () => call("DELETE", `${base}/${subscription.body.id}`, { key })),
    );
    for (const response of cancels) expect(response.status).toBe(200);
    const canceled = (await eventsOf(key, customer.id)).filter((event) => event.type === "subscription.canceled");
    expect(canceled).toHaveLength(1);
  });
});

describe("delivery of recorded events", () => {
  it("a change is delivered to its organization's destination through the queue, signed; another's gets nothing", async () => {
    const { key } = await newOrganization();
    const other = await newOrganization("Other");
    const destination = await createDestination(key, { event_types: ["customer.*"] });
    const elsewhere = await createDestination(other.key);
    const { received } = mockReceiver(() => 204);

    const customer = await createCustomer(key, { email: "d@example.com" });
    const [event] = await eventsOf(key, customer.id);
    const deliveries = await call<EventDeliveryList>("GET", `/v1/event_destinations/${destination.id}/deliveries`, {
      key,
    });
    expect(deliveries.body.data).toHaveLength(1);
    const deliveryId = deliveries.body.data[0]?.id ?? "";
    await vi.waitFor(async () => expect((await delivery(deliveryId)).status).toBe("succeeded"), {
      timeout: 5000,
      interval: 50,
    });
    expect(received).toHaveLength(1);
    const verified = new Webhook(destination.secret).verify(
      received[0]!.body,
      Object.fromEntries(received[0]!.headers),
    );
    expect(verified).toMatchObject({ id: event?.id, type: "customer.created", customer_id: customer.id });

    const theirs = await call<EventDeliveryList>("GET", `/v1/event_destinations/${elsewhere.id}/deliveries`, {
      key: other.key,
    });
    expect(theirs.body.data).toEqual([]);
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM event_deliveries WHERE destination_id = ?1")
      .bind(elsewhere.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
  });
});
