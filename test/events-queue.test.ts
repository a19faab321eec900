import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueueDeliveries } from "../src/event-deliveries";
import { sendDeliveryMessagesSoon } from "../src/event-deliveries/queue";
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

describe("sending committed deliveries soon, together", () => {
  it("concurrent creates: every delivery each one fanned out is queued exactly once", async () => {
    const { key, orgId } = await newOrganization();
    await createDestination(key);
    const { queue, sent } = capturingQueue();

    const created = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        call<CustomerObject>("POST", "/v1/customers", {
          key,
          body: { email: `together-${n}@example.com` },
          env: { ...env, EVENT_DELIVERIES: queue },
        }),
      ),
    );

    expect(created.map((each) => each.status)).toEqual(Array(8).fill(201));
    const { results: rows } = await env.DB.prepare("SELECT id, org_id FROM event_deliveries WHERE org_id = ?1")
      .bind(orgId)
      .all<{ id: string; org_id: string }>();
    expect(rows).toHaveLength(8);
    expect(sent).toHaveLength(8);
    expect(sent).toEqual(expect.arrayContaining(rows.map((row) => ({ org_id: orgId, delivery_id: row.id }))));
  });

  const ref = (n: number) => ({ id: `dlv_${n}`, org_id: "org_soon" });
  const asMessage = (n: number) => ({ org_id: "org_soon", delivery_id: `dlv_${n}` });

  /** A Background that keeps the tasks handed to it, as a request's waitUntil would. */
  function backgroundTasks() {
    const tasks: Promise<unknown>[] = [];
    return { tasks, background: (task: Promise<unknown>) => void tasks.push(task) };
  }

  it("deliveries committed close together go in one sendBatch, carried by the first caller's background", async () => {
    const { queue, sent, calls } = capturingQueue();
    const first = backgroundTasks();
    const later = backgroundTasks();

    sendDeliveryMessagesSoon(queue, [ref(1), ref(2)], first.background);
    sendDeliveryMessagesSoon(queue, [ref(3)], later.background);
    sendDeliveryMessagesSoon(queue, [ref(4)], later.background);
    expect(sent).toEqual([]);
    expect(first.tasks).toHaveLength(1);
    expect(later.tasks).toEqual([]);

    await Promise.all(first.tasks);
    expect(calls).toEqual([4]);
    expect(sent).toEqual([1, 2, 3, 4].map(asMessage));
  });

  it("after a send went out, the next delivery starts a new one; each queue has its own", async () => {
    const one = capturingQueue();
    const other = capturingQueue();
    const tasks = backgroundTasks();

    sendDeliveryMessagesSoon(one.queue, [ref(1)], tasks.background);
    sendDeliveryMessagesSoon(other.queue, [ref(2)], tasks.background);
    await Promise.all(tasks.tasks);
    sendDeliveryMessagesSoon(one.queue, [ref(3)], tasks.background);
    await Promise.all(tasks.tasks);

    expect(tasks.tasks).toHaveLength(3);
    expect(one.calls).toEqual([1, 1]);
    expect(one.sent).toEqual([asMessage(1), asMessage(3)]);
    expect(other.sent).toEqual([asMessage(2)]);
  });

  it("a delivery committed while a send is in flight starts the next send", async () => {
    const sent: unknown[] = [];
    let sendStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      sendStarted = resolve;
    });
    let finishSend: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finishSend = resolve;
    });
    const slowQueue = {
      sendBatch: async (messages: Iterable<{ body: unknown }>) => {
        sendStarted();
        await finished;
        for (const message of messages) sent.push(message.body);
      },
    } as unknown as Queue;
    const tasks = backgroundTasks();

    sendDeliveryMessagesSoon(slowQueue, [ref(1)], tasks.background);
    await started;
    sendDeliveryMessagesSoon(slowQueue, [ref(2)], tasks.background);
    expect(tasks.tasks).toHaveLength(2);
    finishSend();
    await Promise.all(tasks.tasks);
    expect(sent).toEqual([asMessage(1), asMessage(2)]);
  });

  it("more than 100 deliveries go in sendBatch calls of at most 100", async () => {
    const { queue, sent, calls } = capturingQueue();
    const tasks = backgroundTasks();

    sendDeliveryMessagesSoon(
      queue,
      Array.from({ length: 120 }, (_, n) => ref(n)),
      tasks.background,
    );
    sendDeliveryMessagesSoon(
      queue,
      Array.from({ length: 30 }, (_, n) => ref(120 + n)),
      tasks.background,
    );
    await Promise.all(tasks.tasks);

    expect(calls).toEqual([100, 50]);
    expect(sent).toEqual(Array.from({ length: 150 }, (_, n) => asMessage(n)));
  });

  it("a collection whose send never ran (its request was cancelled) is left to the sweep, not joined", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const { queue, sent, calls } = capturingQueue();
      const cancelled = backgroundTasks();
      const later = backgroundTasks();

      sendDeliveryMessagesSoon(queue, [ref(1)], cancelled.background);
      vi.setSystemTime(Date.now() + 2_000);
      sendDeliveryMessagesSoon(queue, [ref(2)], later.background);

      expect(later.tasks).toHaveLength(1);
      await Promise.all(later.tasks);
      expect(sent).toContainEqual(asMessage(2));
      await Promise.all(cancelled.tasks);
      expect(calls).toEqual([1, 1]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a failed send fails its background task (logged; the sweep sends them later) and does not block the next", async () => {
    const { queue, sent } = capturingQueue();
    const failing = { sendBatch: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    const tasks = backgroundTasks();

    sendDeliveryMessagesSoon(failing, [ref(1)], tasks.background);
    await expect(tasks.tasks[0]).rejects.toThrow("queue unavailable");
    sendDeliveryMessagesSoon(failing, [ref(2)], tasks.background);
    expect(tasks.tasks).toHaveLength(2);
    await expect(tasks.tasks[1]).rejects.toThrow("queue unavailable");

    sendDeliveryMessagesSoon(queue, [ref(3)], tasks.background);
    await tasks.tasks[2];
    expect(sent).toEqual([asMessage(3)]);
  });
});
