import type { Background } from "../lib/background";
import { primarySession } from "../lib/db";
import { type DeliveryMessageRef, newDeliveriesOfEvents } from "./deliveries.repository";

/** A queue message names one delivery row; it never carries the event (no PII on the queue). */
export type DeliveryMessage = { org_id: string; delivery_id: string };

// Queue.sendBatch takes at most 100 messages per call.
const SEND_BATCH_LIMIT = 100;

/** Dead-letter queues are named after their queue with `-dlq` (wrangler.toml). */
export const isDeadLetterQueue = (queueName: string) => queueName.endsWith("-dlq");

export async function sendDeliveryMessages(
  queue: Queue,
  deliveries: DeliveryMessageRef[],
  delaySeconds = 0,
): Promise<void> {
  for (let start = 0; start < deliveries.length; start += SEND_BATCH_LIMIT) {
    const chunk = deliveries.slice(start, start + SEND_BATCH_LIMIT);
    await queue.sendBatch(
      chunk.map((delivery) => ({
        body: { org_id: delivery.org_id, delivery_id: delivery.id } satisfies DeliveryMessage,
      })),
      delaySeconds > 0 ? { delaySeconds } : undefined,
    );
  }
}

/**
 * How long the first delivery queued after a commit waits for others from the isolate's
 * concurrent requests, so that they all go in one `sendBatch`. Every send is a round trip to
 * the queue (locally a call into Miniflare's queue on the same thread, about 1.3 ms: as much as
 * the rest of a create), while the consumer waits up to `max_batch_timeout` (1 s) to fill a
 * batch anyway, so this delay is negligible in delivery times.
 */
export const SEND_COALESCE_MS = 25;

/**
 * A collection older than this was abandoned: the request carrying its send was cancelled
 * (CPU or memory limit) with its timer. The next commit starts a new one, and the sweep sends
 * what the abandoned one held once it is overdue. (Time moves between requests in Workers.)
 */
const ABANDONED_AFTER_MS = 1_000;

type Collection = { deliveries: DeliveryMessageRef[]; startedAt: number };

/** Deliveries committed in this isolate and not sent yet, per queue, in the order they came. */
const waitingToSend = new Map<Queue, Collection>();

/**
 * Sends `deliveries` to the queue together with those other requests of this isolate commit in
 * the next few milliseconds. The first caller's `background` carries the send; later callers
 * only add to it and await nothing, so no request ever waits on another's promise. Should that
 * request's background work be cut short, the sweep sends what it carried once it is overdue.
 */
export function sendDeliveryMessagesSoon(queue: Queue, deliveries: DeliveryMessageRef[], background: Background): void {
  const now = Date.now();
  const waiting = waitingToSend.get(queue);
  if (waiting && now - waiting.startedAt < ABANDONED_AFTER_MS) {
    waiting.deliveries.push(...deliveries);
    return;
  }
  const collection: Collection = { deliveries: [...deliveries], startedAt: now };
  waitingToSend.set(queue, collection);
  background(
    new Promise((resolve) => setTimeout(resolve, SEND_COALESCE_MS)).then(() => {
      // Taken out before sending: what commits meanwhile starts the next collection.
      if (waitingToSend.get(queue) === collection) waitingToSend.delete(queue);
      return sendDeliveryMessages(queue, collection.deliveries);
    }),
  );
}

/**
 * What a write path calls after its batch committed (in the background): one queue message for
 * every delivery the events fanned out to. Events whose change did not commit have none, so
 * passing every id the recording returned is right. If this fails or never runs, the scheduled
 * sweep sends the deliveries once they are overdue; nothing is lost. Returns how many were sent.
 */
export async function enqueueDeliveries(env: Env, orgId: string, eventIds: string[]): Promise<number> {
  if (eventIds.length === 0) return 0;
  // After the response: its own session on the primary, which has the batch that just committed.
  const deliveries = await newDeliveriesOfEvents(primarySession(env.DB), orgId, eventIds);
  await sendDeliveryMessages(env.EVENT_DELIVERIES, deliveries);
  return deliveries.length;
}
