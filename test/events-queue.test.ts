import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueueDeliveries } from "../src/event-deliveries";
import { bareCustomer, createDestination, deliveriesOf, delivery, mockReceiver, recordEvent } from "./events-helpers";
import { newOrganization } from "./helpers";

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
});
