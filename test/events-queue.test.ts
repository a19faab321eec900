import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueueDeliveries } from "../src/event-deliveries";
import { recordingD1 } from "./d1-spy";
import {
  bareCustomer,
  capturingQueue,
  createDestination,
  deliveriesOf,
  delivery,
  mockReceiver,
  recordEvent,
} from "./events-helpers";
import { type CustomerObject, call, newOrganization } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("after a commit, through the real queue binding", () => {
  it("enqueueDeliveries sends each new delivery to the queue, whose consumer delivers it", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    const destination = await createDestination(key);
    const { received } = mockReceiver(() => 200);
    const eventId = await recordEvent(orgId, customer.id, "customer.created");
    const [row] = await deliveriesOf(eventId);

    expect(await enqueueDeliveries(env, orgId, [eventId, "evt_of_a_change_that_did_not_commit"])).toBe(1);

    await vi.waitFor(async () => expect((await delivery(row!.id)).status).toBe("succeeded"), {
      timeout: 5000,
      interval: 50,
    });
    expect(received).toHaveLength(1);
    const verified = new Webhook(destination.secret).verify(
      received[0]!.body,
      Object.fromEntries(received[0]!.headers),
    );
    expect(verified).toMatchObject({ id: eventId, type: "customer.created", customer_id: customer.id });
  });

  it("enqueues nothing for events without deliveries", async () => {
    const { orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    const eventId = await recordEvent(orgId, customer.id);
    expect(await enqueueDeliveries(env, orgId, [eventId])).toBe(0);
    expect(await enqueueDeliveries(env, orgId, [])).toBe(0);
  });

  it("a create queues the deliveries its fan-out returned, without reading them back after the commit", async () => {
    const { key, orgId } = await newOrganization();
    await createDestination(key);
    await createDestination(key);
    const { queue, sent } = capturingQueue();
    const recording = recordingD1(env.DB);

    const created = await call<CustomerObject>("POST", "/v1/customers", {
      key,
      body: { email: "queued@example.com" },
      env: { ...env, DB: recording.db, EVENT_DELIVERIES: queue },
    });

    expect(created.status).toBe(201);
    const { results: rows } = await env.DB.prepare(
      "SELECT d.id, d.org_id FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE e.customer_id = ?1",
    )
      .bind(created.body.id)
      .all<{ id: string; org_id: string }>();
    expect(rows).toHaveLength(2);
    expect(sent).toHaveLength(2);
    expect(sent).toEqual(expect.arrayContaining(rows.map((row) => ({ org_id: orgId, delivery_id: row.id }))));
    expect(recording.statements.filter((sql) => /^\s*SELECT\b[^;]*\bFROM event_deliveries\b/.test(sql))).toEqual([]);
  });
});
