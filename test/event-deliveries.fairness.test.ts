import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { consumeDeliveries } from "../src/event-deliveries";
import { sendDeliveryMessages } from "../src/event-deliveries/queue";
import { forgetSlowDestinations } from "../src/event-deliveries/slow-destinations";
import { capturingQueue, DELIVERY_QUEUE, delivery, timeoutError } from "./events-helpers";

// One organization's backlog or hanging receiver delays another's deliveries by at most one
// batch (spec section 7; docs/fairness.md). Measured in batches, not wall-clock time: the
// hanging receiver answers at once with the timeout it would reach after 15 s, and what counts
// is how many batches were slow (made an attempt that hung) before organization B's delivery
// was sent.

const NOW = new Date().toISOString();
const HANGING = "http://127.0.0.1:9999/hangs";
const PROMPT = "http://127.0.0.1:9999/answers";
/** max_batch_size of the delivery consumer (wrangler.toml). */
const BATCH_SIZE = 10;

type Ref = { id: string; org_id: string };

/** An organization with one destination and `count` events, each with a pending delivery to it. */
async function organizationWithDeliveries(orgId: string, url: string, count: number): Promise<Ref[]> {
  const destinationId = `ed_${orgId}`;
  const rows = Array.from({ length: count }, (_, n) => ({ event: `evt_${orgId}_${n}`, delivery: `evd_${orgId}_${n}` }));
  await env.DB.batch([
    env.DB.prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, ?1, ?2)").bind(orgId, NOW),
    env.DB.prepare(
      `INSERT INTO event_destinations (id, org_id, url, event_types, secret, created_at, updated_at)
       VALUES (?1, ?2, ?3, '["*"]', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ?4, ?4)`,
    ).bind(destinationId, orgId, url, NOW),
    env.DB.prepare(
      `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
       SELECT json_extract(value, '$.event'), ?1, 'customer.updated', 'cus_1', 1, '{"object":{}}', NULL, ?2
       FROM json_each(?3)`,
    ).bind(orgId, NOW, JSON.stringify(rows)),
    env.DB.prepare(
      `INSERT INTO event_deliveries (id, org_id, destination_id, event_id, event_type, next_attempt_at, created_at, updated_at)
       SELECT json_extract(value, '$.delivery'), ?1, ?2, json_extract(value, '$.event'), 'customer.updated', ?3, ?3, ?3
       FROM json_each(?4)`,
    ).bind(orgId, destinationId, NOW, JSON.stringify(rows)),
  ]);
  return rows.map((row) => ({ id: row.delivery, org_id: orgId }));
}

let messageCounter = 0;

/** One batch through the consumer, as the queue would hand it; what it re-queued goes to `queue`. */
async function consumeBatch(refs: Ref[], queue: Queue) {
  const batch = createMessageBatch(
    DELIVERY_QUEUE,
    refs.map((ref) => ({
      id: `fair-msg-${++messageCounter}`,
      timestamp: new Date(),
      attempts: 1,
      body: { org_id: ref.org_id, delivery_id: ref.id },
    })),
  );
  const ctx = createExecutionContext();
  await consumeDeliveries(batch, { ...env, EVENT_DELIVERIES: queue });
  return getQueueResult(batch, ctx);
}

/** The receivers: HANGING times out (as after 15 s), PROMPT answers 204. Records the URLs in order. */
function receivers(): string[] {
  const posted: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    posted.push(request.url);
    await request.arrayBuffer();
    if (request.url === HANGING) throw timeoutError();
    return new Response(null, { status: 204 });
  });
  return posted;
}

beforeEach(() => forgetSlowDestinations());
afterEach(() => vi.restoreAllMocks());

describe("a hanging receiver delays another organization's deliveries by at most one batch", () => {
  it("A: 2,000 pending deliveries to a receiver that hangs; B's delivery queued behind them goes out after one slow batch", async () => {
    const backlog = await organizationWithDeliveries("org_a", HANGING, 2_000);
    const [bDelivery] = await organizationWithDeliveries("org_b", PROMPT, 1);
    if (!bDelivery) throw new Error("no delivery for B");
    const posted = receivers();
    const requeued = capturingQueue();
    // The queue hands the consumer A's backlog first, B's delivery last, in batches of 10.
    const queued = [...backlog, bDelivery];
    let slowBatches = 0;
    let batchesUntilB = 0;
    for (let start = 0; start < queued.length; start += BATCH_SIZE) {
      const before = posted.length;
      await consumeBatch(queued.slice(start, start + BATCH_SIZE), requeued.queue);
      batchesUntilB++;
      const sent = posted.slice(before);
      if (sent.includes(HANGING)) slowBatches++;
      if (sent.includes(PROMPT)) break;
    }
    expect(posted.filter((url) => url === PROMPT)).toHaveLength(1);
    expect(await delivery(bDelivery.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    // Only the first batch waited on the hanging receiver; every later batch of A's put its
    // deliveries back on the queue without an attempt.
    expect(slowBatches).toBe(1);
    expect(batchesUntilB).toBe(Math.ceil(queued.length / BATCH_SIZE));
    expect(posted.filter((url) => url === HANGING)).toHaveLength(BATCH_SIZE);

    // A's held deliveries: back on the queue (new messages, delayed to the hold's end), still
    // pending with their attempt count untouched and their due time moved, so the sweep leaves
    // them alone.
    const held = backlog[BATCH_SIZE];
    if (!held) throw new Error("no held delivery");
    expect(requeued.sent).toContainEqual({ org_id: "org_a", delivery_id: held.id });
    expect(requeued.sent).toHaveLength(backlog.length - BATCH_SIZE);
    const row = await delivery(held.id);
    expect(row).toMatchObject({ status: "pending", attempts: 0 });
    expect(Date.parse(row.next_attempt_at ?? "")).toBeGreaterThan(Date.now() + 30_000);
  }, 60_000);

  it("a batch mixing both organizations sends B's delivery in the same slow batch", async () => {
    const backlog = await organizationWithDeliveries("org_a", HANGING, 9);
    const [bDelivery] = await organizationWithDeliveries("org_b", PROMPT, 1);
    if (!bDelivery) throw new Error("no delivery for B");
    const posted = receivers();
    const result = await consumeBatch([...backlog, bDelivery], capturingQueue().queue);
    // Attempts run concurrently: B's receiver got its event whatever A's did.
    expect(posted).toContain(PROMPT);
    expect(result.retryMessages).toHaveLength(9);
    expect(await delivery(bDelivery.id)).toMatchObject({ status: "succeeded" });
  });

  it("after the hold, the receiver is tried again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const backlog = await organizationWithDeliveries("org_a", HANGING, 20);
      const posted = receivers();
      await consumeBatch(backlog.slice(0, 10), capturingQueue().queue);
      await consumeBatch(backlog.slice(10, 20), capturingQueue().queue);
      expect(posted).toHaveLength(10);
      vi.setSystemTime(Date.now() + 61_000);
      await consumeBatch(backlog.slice(10, 20), capturingQueue().queue);
      expect(posted).toHaveLength(20);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("sends serve organizations in turn, and a failed chunk drops nobody's deliveries", () => {
  const refs = (org: string, count: number) =>
    Array.from({ length: count }, (_, i) => ({ id: `evd_${org}_${i}`, org_id: org }));

  it("the first chunk carries every organization's first deliveries", async () => {
    const { queue, sent, calls } = capturingQueue();
    await sendDeliveryMessages(queue, [...refs("org_a", 250), ...refs("org_b", 2), ...refs("org_c", 1)]);
    expect(calls).toEqual([100, 100, 53]);
    expect(sent.slice(0, 5).map((message) => message.delivery_id)).toEqual([
      "evd_org_a_0",
      "evd_org_b_0",
      "evd_org_c_0",
      "evd_org_a_1",
      "evd_org_b_1",
    ]);
  });

  it("a chunk that fails is tried again, and the chunks after it are sent anyway", async () => {
    const captured = capturingQueue();
    let call = 0;
    const failing = {
      sendBatch: async (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
        call++;
        // The first chunk fails twice (its retry too), the second once.
        if (call === 1 || call === 2 || call === 3) throw new Error("queue unavailable");
        return captured.queue.sendBatch(messages, options);
      },
    } as unknown as Queue;
    const deliveries = [...refs("org_a", 250), ...refs("org_b", 1)];
    await expect(sendDeliveryMessages(failing, deliveries)).rejects.toThrow("1 of 3 sends of delivery messages failed");
    // The second chunk on its retry, the third at once: 151 messages out, and a failed first
    // chunk did not stop them.
    expect(captured.calls).toEqual([100, 51]);
  });
});
