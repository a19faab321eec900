import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sendClaimed } from "../src/event-deliveries/consumer";
import { claimDeliveriesToSend } from "../src/event-deliveries/deliveries.repository";
import { createDestination, deliveriesOf, delivery, mockReceiver, withQueue } from "./events-helpers";
import { call, newOrganization } from "./helpers";
import type { CustomerObject, EventList } from "./response-types";

afterEach(() => {
  vi.restoreAllMocks();
});

const PII = ["jenny@example.com", "Jenny", "Rosen"];

describe("erasure and delivery (spec section 10)", () => {
  it("an attempt that starts after an archive committed sends the redacted event, even if claimed before it", async () => {
    const { orgId, key } = await newOrganization();
    await createDestination(key, { event_types: ["customer.created"] });
    // Queue messages are captured, not consumed: this test drives the attempt itself.
    const { env: queueEnv } = withQueue();
    const created = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { email: "jenny@example.com", first_name: "Jenny", last_name: "Rosen" },
      env: queueEnv,
    });
    expect(created.status).toBe(201);
    const events = await call<EventList>("GET", `/v1/events?customer_id=${created.body.id}`, { key });
    const eventId = events.body.data.find((event) => event.type === "customer.created")?.id;
    const [row] = await deliveriesOf(eventId ?? "");
    if (!row) throw new Error("no delivery");

    // 1. The consumer claims the delivery (and, before the fix, read the event with it).
    const now = new Date();
    const [claimed] = await claimDeliveriesToSend(env.DB, [{ orgId, deliveryId: row.id }], now.toISOString());
    if (!claimed) throw new Error("not claimed");
    expect(claimed.attempt).toBe(1);
    // 2. The customer is archived before the attempt starts.
    const archived = await call("DELETE", `/v1/customers/${created.body.id}`, { key, env: queueEnv });
    expect(archived.status).toBe(200);
    // 3. The attempt starts: what goes out is the event as it is now.
    const { received } = mockReceiver(() => 204);
    const [[, settled] = []] = await sendClaimed(env.DB, [claimed], now, { settings: env, logAttempt: false });

    expect(received).toHaveLength(1);
    const body = received[0]!.body;
    for (const value of PII) expect(body).not.toContain(value);
    const sent = JSON.parse(body) as { id: string; data: { object: Record<string, unknown> } };
    expect(sent.id).toBe(eventId);
    expect(sent.data.object).toMatchObject({ id: created.body.id, email: null, first_name: null, last_name: null });
    const stored = await call("GET", `/v1/events/${eventId}`, { key });
    expect(sent).toEqual(stored.body);
    expect(settled?.outcome).toMatchObject({ status: "succeeded" });
  });

  it("an event gone by the attempt (expired) is not sent and the message is acknowledged", async () => {
    const { orgId, key } = await newOrganization();
    await createDestination(key);
    const { env: queueEnv } = withQueue();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: {}, env: queueEnv });
    const events = await call<EventList>("GET", `/v1/events?customer_id=${created.body.id}`, { key });
    const eventId = events.body.data[0]!.id;
    const [row] = await deliveriesOf(eventId);
    const now = new Date();
    const [claimed] = await claimDeliveriesToSend(env.DB, [{ orgId, deliveryId: row!.id }], now.toISOString());
    await env.DB.prepare("DELETE FROM events WHERE id = ?1").bind(eventId).run();
    const { received } = mockReceiver(() => 204);
    const [[, settled] = []] = await sendClaimed(env.DB, [claimed!], now, { settings: env, logAttempt: false });
    expect(received).toEqual([]);
    expect(settled).toEqual({ outcome: null, decision: { ack: true } });
    expect((await delivery(row!.id)).status).toBe("pending");
  });
});
