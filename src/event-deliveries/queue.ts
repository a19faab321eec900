import type { Background } from "../lib/background";
import { primarySession } from "../lib/db";
import { type DeliveryMessageRef, newDeliveriesOfEvents } from "./deliveries.repository";

/** A queue message names one delivery row; it never carries the event (no PII on the queue). */
export type DeliveryMessage = { org_id: string; delivery_id: string };

// Queue.sendBatch takes at most 100 messages per call.
const SEND_BATCH_LIMIT = 100;

/** Dead-letter queues are named after their queue with `-dlq` (wrangler.toml). */
export const isDeadLetterQueue = (queueName: string) => queueName.endsWith("-dlq");

/**
 * The deliveries in turns of their organizations: the first of each organization (in the order
 * they first appear), then the second of each, and so on. One organization's thousands never
 * go ahead of another's one.
 */
export function inTurnsByOrganization<T extends { org_id: string }>(deliveries: T[]): T[] {
  const byOrg = new Map<string, T[]>();
  for (const delivery of deliveries) {
    const own = byOrg.get(delivery.org_id);
    if (own) own.push(delivery);
    else byOrg.set(delivery.org_id, [delivery]);
  }
  const queues = [...byOrg.values()];
  const inTurns: T[] = [];
  for (let turn = 0; inTurns.length < deliveries.length; turn++) {
    for (const own of queues) {
      const next = own[turn];
      if (next) inTurns.push(next);
    }
  }
  return inTurns;
}

/** Tries of one chunk's send before it is left to the sweep. */
const CHUNK_SEND_TRIES = 2;

/**
 * Sends one message per delivery, in chunks of 100 (sendBatch's limit), the organizations in
 * turn: so the first chunk carries every organization's first deliveries, and the queue hands
 * them to the consumer before one organization's backlog. A chunk that fails is tried once more
 * and never stops the others (what it held stays pending, and the sweep sends it once overdue);
 * the failures are thrown together once every chunk was tried.
 */
export async function sendDeliveryMessages(
  queue: Queue,
  deliveries: DeliveryMessageRef[],
  delaySeconds = 0,
): Promise<void> {
  const ordered = inTurnsByOrganization(deliveries);
  const options = delaySeconds > 0 ? { delaySeconds } : undefined;
  const failures: unknown[] = [];
  for (let start = 0; start < ordered.length; start += SEND_BATCH_LIMIT) {
    const messages = ordered.slice(start, start + SEND_BATCH_LIMIT).map((delivery) => ({
      body: { org_id: delivery.org_id, delivery_id: delivery.id } satisfies DeliveryMessage,
    }));
    for (let tries = 1; ; tries++) {
      try {
        await queue.sendBatch(messages, options);
        break;
      } catch (error) {
        if (tries < CHUNK_SEND_TRIES) continue;
        failures.push(error);
        break;
      }
    }
  }
  if (failures.length > 0) {
    const chunks = Math.ceil(ordered.length / SEND_BATCH_LIMIT);
    const first = failures[0] instanceof Error ? `: ${failures[0].message}` : "";
    throw new AggregateError(failures, `${failures.length} of ${chunks} sends of delivery messages failed${first}`);
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
