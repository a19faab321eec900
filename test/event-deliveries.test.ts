import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RETRY_DELAYS_SECONDS } from "../src/event-deliveries/schedule";
import { DELIVERY_TIMEOUT_MS } from "../src/event-deliveries/send";
import { forgetSlowDestinations } from "../src/event-deliveries/slow-destinations";
import { OVERDUE_GRACE_MS } from "../src/event-deliveries/sweep";
import worker from "../src/index";
import { DELIVERY_SWEEP_CRON } from "../src/scheduled";
import {
  bareCustomer,
  capturingQueue,
  consume,
  createDestination,
  DEAD_LETTER_QUEUE,
  deliveriesOf,
  delivery,
  mockReceiver,
  RECEIVER_URL,
  recordEvent,
  timeoutError,
} from "./events-helpers";
import { call, newOrganization } from "./helpers";
import type { EventDestinationWithSecret } from "./response-types";

afterEach(() => {
  vi.restoreAllMocks();
});

/** An organization with a customer, a destination and one recorded event with its delivery. */
async function oneDelivery(destinationBody: Record<string, unknown> = {}) {
  const org = await newOrganization();
  const customer = await bareCustomer(org.orgId);
  const destination = await createDestination(org.key, destinationBody);
  const eventId = await recordEvent(org.orgId, customer.id, "customer.updated", {
    object: { object: "customer", id: customer.id, email: "jenny@example.com" },
    previousAttributes: { email: null },
  });
  const [row] = await deliveriesOf(eventId);
  if (!row) throw new Error("no delivery");
  return { ...org, customer, destination, eventId, row };
}

describe("the delivery consumer", () => {
  it("POSTs the event signed the Standard Webhooks way and records the success", async () => {
    const { destination, eventId, row, customer, key } = await oneDelivery();
    const { received } = mockReceiver(() => 204);

    const result = await consume([row]);

    expect(result.explicitAcks).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(1);
    const [sent] = received;
    expect(sent!.url).toBe(RECEIVER_URL);
    expect(sent!.headers.get("webhook-id")).toBe(eventId);
    expect(sent!.headers.get("authorization")).toBeNull();
    expect(sent!.init?.redirect).toBe("manual");
    expect(sent!.init?.signal).toBeInstanceOf(AbortSignal);
    const verified = new Webhook(destination.secret).verify(sent!.body, {
      "webhook-id": sent!.headers.get("webhook-id")!,
      "webhook-timestamp": sent!.headers.get("webhook-timestamp")!,
      "webhook-signature": sent!.headers.get("webhook-signature")!,
    });
    const got = await call("GET", `/v1/events/${eventId}`, { key });
    expect(verified).toEqual(got.body);
    expect(verified).toMatchObject({
      object: "event",
      type: "customer.updated",
      customer_id: customer.id,
      sequence: 1,
    });
    expect(await delivery(row.id)).toMatchObject({
      status: "succeeded",
      attempts: 1,
      last_response_status: 204,
      last_error: null,
      next_attempt_at: null,
    });
  });

  it("signs with both secrets for 24 hours after a rotation", async () => {
    const { destination, row, key } = await oneDelivery();
    const rotated = await call<EventDestinationWithSecret>(
      "POST",
      `/v1/event_destinations/${destination.id}/rotate_secret`,
      {
        key,
      },
    );
    const { received } = mockReceiver(() => 200);
    await consume([row]);
    const [sent] = received;
    const headers = Object.fromEntries(sent!.headers);
    expect(sent!.headers.get("webhook-signature")!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(destination.secret).verify(sent!.body, headers)).not.toThrow();
    expect(() => new Webhook(rotated.body.secret!).verify(sent!.body, headers)).not.toThrow();
  });

  it("retries a 5xx after the schedule's first delay, then records the success", async () => {
    const { row } = await oneDelivery();
    const { received } = mockReceiver((index) => (index === 0 ? 503 : 200));

    const first = await consume([row]);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.retryDelays).toEqual([5]);
    const pending = await delivery(row.id);
    expect(pending).toMatchObject({
      status: "pending",
      attempts: 1,
      last_response_status: 503,
      last_error: "http_status",
    });
    expect(Date.parse(pending.next_attempt_at!)).toBeGreaterThan(Date.now());

    const second = await consume([row], { attempts: 2 });
    expect(second.retryMessages).toEqual([]);
    expect(await delivery(row.id)).toMatchObject({ status: "succeeded", attempts: 2, last_response_status: 200 });
    expect(received).toHaveLength(2);
  });

  it("treats a timeout as a failed attempt (15 s budget) and a redirect as a failure it does not follow", async () => {
    expect(DELIVERY_TIMEOUT_MS).toBe(15_000);
    const { row } = await oneDelivery();
    mockReceiver((index) => (index === 0 ? timeoutError() : 302));
    const first = await consume([row]);
    expect(first.retryDelays[0]).toBe(5);
    expect(await delivery(row.id)).toMatchObject({
      status: "pending",
      last_error: "timeout",
      last_response_status: null,
    });
    // The timeout put the destination on hold in this isolate (slow-destinations.ts); this test is
    // about the schedule, so the hold is lifted as if it had run out.
    forgetSlowDestinations();
    const second = await consume([row]);
    expect(second.retryDelays[0]).toBe(300);
    expect(await delivery(row.id)).toMatchObject({ attempts: 2, last_error: "http_status", last_response_status: 302 });
  });

  it("retries on the schedule 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then marks the delivery failed", async () => {
    const { row } = await oneDelivery();
    const { received } = mockReceiver(() => 500);
    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      const result = await consume([row], { attempts: attempt });
      delays.push(result.retryDelays[0]);
    }
    expect(delays).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000, undefined]);
    expect(delays.slice(0, 7)).toEqual([...RETRY_DELAYS_SECONDS]);
    expect(received).toHaveLength(8);
    expect(await delivery(row.id)).toMatchObject({ status: "failed", attempts: 8, next_attempt_at: null });
    await consume([row]);
    expect(received).toHaveLength(8);
  });

  it("410 Gone disables the destination; its other pending deliveries then fail without a request", async () => {
    const { row, destination, key, orgId, customer } = await oneDelivery();
    const next = await recordEvent(orgId, customer.id);
    const [nextRow] = await deliveriesOf(next);
    const { received } = mockReceiver(() => 410);

    await consume([row]);
    expect(await delivery(row.id)).toMatchObject({ status: "failed", last_response_status: 410 });
    const got = await call("GET", `/v1/event_destinations/${destination.id}`, { key });
    expect(got.body).toMatchObject({ status: "disabled", disabled_reason: "endpoint_gone" });

    await consume([nextRow!]);
    expect(received).toHaveLength(1);
    expect(await delivery(nextRow!.id)).toMatchObject({ status: "failed", last_error: "destination_disabled" });
    // A disabled destination gets no new deliveries either.
    expect(await deliveriesOf(await recordEvent(orgId, customer.id))).toEqual([]);
  });

  it("a message delivered twice sends once and records one success", async () => {
    const { row } = await oneDelivery();
    const { received } = mockReceiver(() => 200);
    await consume([row]);
    const again = await consume([row]);
    expect(again.retryMessages).toEqual([]);
    expect(received).toHaveLength(1);
    expect(await delivery(row.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("two copies in one batch may both reach the receiver, but one success is recorded", async () => {
    const { row } = await oneDelivery();
    const { received } = mockReceiver(() => 200);
    await consume([row, row]);
    expect(received.length).toBeGreaterThanOrEqual(1);
    const stored = await delivery(row.id);
    expect(stored.status).toBe("succeeded");
    expect(await deliveriesOf(stored.event_id)).toHaveLength(1);
  });

  it("sends the redacted event after the customer's PII was erased", async () => {
    const { row, orgId, customer } = await oneDelivery();
    await env.DB.prepare("UPDATE events SET data = json_replace(data, '$.object.email', NULL) WHERE org_id = ?1")
      .bind(orgId)
      .run();
    const { received } = mockReceiver(() => 200);
    await consume([row]);
    expect(received[0]!.body).not.toContain("jenny@example.com");
    expect(JSON.parse(received[0]!.body).data.object).toEqual({ object: "customer", id: customer.id, email: null });
  });

  it("acks a message whose delivery is gone (destination deleted) without a request", async () => {
    const { row, destination, key } = await oneDelivery();
    await call("DELETE", `/v1/event_destinations/${destination.id}`, { key });
    const { received } = mockReceiver(() => 200);
    const result = await consume([row]);
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(0);
  });

  it("never delivers one organization's delivery under another organization's id", async () => {
    const { row } = await oneDelivery();
    const other = await newOrganization("Other");
    const { received } = mockReceiver(() => 200);
    await consume([{ id: row.id, org_id: other.orgId }]);
    expect(received).toHaveLength(0);
    expect((await delivery(row.id)).status).toBe("pending");
  });

  it("the dead-letter consumer marks the delivery failed (dead_lettered) and sends nothing", async () => {
    const { row } = await oneDelivery();
    const { received } = mockReceiver(() => 200);
    const result = await consume([row], { queue: DEAD_LETTER_QUEUE });
    expect(result.retryMessages).toEqual([]);
    expect(received).toHaveLength(0);
    expect(await delivery(row.id)).toMatchObject({ status: "failed", last_error: "dead_lettered" });
  });
});

describe("the scheduled sweep", () => {
  const runScheduled = (scheduledTime: number, queue: Queue) =>
    worker.scheduled(createScheduledController({ scheduledTime, cron: "*/30 * * * *" }), {
      ...env,
      EVENT_DELIVERIES: queue,
    });

  it("re-sends a delivery whose queue message was lost, once it is overdue, and only once per lease", async () => {
    const { row, orgId } = await oneDelivery();
    const { queue, sent } = capturingQueue();
    const due = Date.parse(row.next_attempt_at!);

    await runScheduled(due + OVERDUE_GRACE_MS - 1000, queue);
    expect(sent).toEqual([]);
    await runScheduled(due + OVERDUE_GRACE_MS + 1000, queue);
    expect(sent).toEqual([{ org_id: orgId, delivery_id: row.id }]);
    await runScheduled(due + OVERDUE_GRACE_MS + 2000, queue);
    expect(sent).toHaveLength(1);

    const { received } = mockReceiver(() => 200);
    await consume([{ id: sent[0]!.delivery_id, org_id: sent[0]!.org_id }]);
    expect(received).toHaveLength(1);
    expect((await delivery(row.id)).status).toBe("succeeded");
  });

  it("deletes events older than 30 days with their deliveries, and keeps younger ones", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await createDestination(key);
    const now = Date.parse("2026-12-31T00:00:00.000Z");
    const old = await recordEvent(orgId, customer.id, "customer.created", {
      createdAt: new Date(now - 31 * 86_400_000).toISOString(),
    });
    const kept = await recordEvent(orgId, customer.id, "customer.updated", {
      createdAt: new Date(now - 29 * 86_400_000).toISOString(),
    });
    await env.DB.prepare("UPDATE event_deliveries SET status = 'succeeded'").run();
    const { queue } = capturingQueue();
    await runScheduled(now, queue);
    expect((await call("GET", `/v1/events/${old}`, { key })).status).toBe(404);
    expect(await deliveriesOf(old)).toEqual([]);
    expect((await call("GET", `/v1/events/${kept}`, { key })).status).toBe(200);
    expect(await deliveriesOf(kept)).toHaveLength(1);
  });
});

describe("the every-minute delivery sweep", () => {
  it("re-sends a lost delivery within about three minutes of its due time", async () => {
    const { row, orgId } = await oneDelivery();
    const { queue, sent } = capturingQueue();
    const due = Date.parse(row.next_attempt_at!);
    const everyMinute = (scheduledTime: number) =>
      worker.scheduled(createScheduledController({ scheduledTime, cron: DELIVERY_SWEEP_CRON }), {
        ...env,
        EVENT_DELIVERIES: queue,
      });
    await everyMinute(due + 60_000);
    expect(sent).toEqual([]);
    await everyMinute(due + 3 * 60_000);
    expect(sent).toEqual([{ org_id: orgId, delivery_id: row.id }]);
    expect(OVERDUE_GRACE_MS).toBeLessThanOrEqual(2 * 60_000);
  });
});
