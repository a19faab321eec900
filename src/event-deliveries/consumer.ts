import { toEventObject } from "../events/events.object";
import type { EventRow } from "../events/events-reading.repository";
import { type Db, primarySession } from "../lib/db";
import { type DestinationUrlSettings, destinationUrlProblem } from "../lib/destination-url";
import { logError, logInfo } from "../lib/logger";
import { secretsInForce } from "../lib/previous-secrets";
import {
  type ClaimedDelivery,
  claimDeliveriesToSend,
  type DeliveryOutcome,
  type DeliveryRef,
  eventKey,
  postponeDeliveries,
  readEventsToSend,
  recordOutcomes,
} from "./deliveries.repository";
import { type DeliveryMessage, sendDeliveryMessages } from "./queue";
import { retryDelayAfter } from "./schedule";
import { postSigned } from "./send";
import { heldDestinationIds, holdSlowDestination, secondsHeld } from "./slow-destinations";

/** When the consumer itself fails (D1 unreachable), the message comes back after this long. */
export const CONSUMER_ERROR_RETRY_SECONDS = 60;

/**
 * What becomes of a delivery's messages: acked; retried after a delay (the schedule, or a
 * consumer error); or, for a held destination, put back on the queue as a new message
 * (`deferSeconds`: no attempt was made, so none of the message's retries is spent).
 */
type Decision = { ack: true } | { ack: false; delaySeconds: number } | { defer: DeliveryRef & { seconds: number } };

const ACK: Decision = { ack: true };
const CONSUMER_ERROR: Decision = { ack: false, delaySeconds: CONSUMER_ERROR_RETRY_SECONDS };

/** What one delivery's attempt decided: an outcome to record (if any) and its messages' fate. */
export type Settled = { outcome: DeliveryOutcome | null; decision: Decision };

const isDeliveryMessage = (body: unknown): body is DeliveryMessage =>
  typeof body === "object" &&
  body !== null &&
  typeof (body as Record<string, unknown>).org_id === "string" &&
  typeof (body as Record<string, unknown>).delivery_id === "string";

/** Messages are matched to rows by organization and delivery id together (tenancy). */
const refKey = (orgId: string, deliveryId: string) => JSON.stringify([orgId, deliveryId]);

/** How attempts run: the deployment's URL rule, and whether each attempt is logged. */
export type AttemptOptions = { settings: DestinationUrlSettings; logAttempt: boolean };

/**
 * One attempt of one claimed delivery: the POST, and what to record and do with its messages.
 * `event` is the delivery's event as read when the attempt starts (null: gone, expired), not as
 * the claim read it. Right before sending, the destination's URL is checked again: a URL the
 * rule refuses today fails the delivery (`url_not_allowed`) with no request made. `logAttempt`:
 * one info line per attempt, under the same switch as the per-request lines (`LOG_REQUESTS`);
 * the delivery's row keeps the outcome either way.
 */
async function attemptDelivery(
  delivery: ClaimedDelivery,
  event: EventRow | null,
  now: Date,
  options: AttemptOptions,
): Promise<Settled> {
  // Already settled by another copy of the message.
  if (delivery.delivery_status !== "pending") return { outcome: null, decision: ACK };
  const failedNow = (error: DeliveryOutcome["error"]): Settled => ({
    outcome: {
      deliveryId: delivery.delivery_id,
      status: "failed",
      responseStatus: null,
      error,
      nextAttemptAt: null,
      at: now.toISOString(),
    },
    decision: ACK,
  });
  if (delivery.destination_status === "disabled") return failedNow("destination_disabled");
  if (delivery.attempt === null) {
    // Not claimed because its receiver hung lately (slow-destinations.ts): back on the queue.
    const seconds = secondsHeld(delivery.destination_id);
    if (seconds !== null) {
      const defer = { orgId: delivery.org_id, deliveryId: delivery.delivery_id, seconds };
      return { outcome: null, decision: { defer } };
    }
    // Pending and enabled yet not claimed cannot otherwise happen within the claim's batch; ack defensively.
    return { outcome: null, decision: ACK };
  }
  if (destinationUrlProblem(delivery.url, options.settings) !== null) return failedNow("url_not_allowed");
  if (!event) return { outcome: null, decision: ACK };

  const sent = await postSigned({
    url: delivery.url,
    messageId: event.id,
    body: JSON.stringify(toEventObject(event)),
    secrets: secretsInForce(delivery, now),
    now,
  });
  const at = new Date().toISOString();
  if (sent.kind === "failed" && sent.error === "timeout") holdSlowDestination(delivery.destination_id);
  if (options.logAttempt) {
    logInfo("event delivery attempt", {
      org_id: delivery.org_id,
      delivery_id: delivery.delivery_id,
      destination_id: delivery.destination_id,
      event_id: delivery.event.id,
      attempt: delivery.attempt,
      outcome: sent.kind,
      response_status: sent.responseStatus,
    });
  }
  const settled = { deliveryId: delivery.delivery_id, at };
  if (sent.kind === "succeeded") {
    return {
      outcome: {
        ...settled,
        status: "succeeded",
        responseStatus: sent.responseStatus,
        error: null,
        nextAttemptAt: null,
      },
      decision: ACK,
    };
  }
  if (sent.kind === "gone") {
    return {
      outcome: {
        ...settled,
        status: "failed",
        responseStatus: 410,
        error: "http_status",
        nextAttemptAt: null,
        disableDestination: { orgId: delivery.org_id, destinationId: delivery.destination_id },
      },
      decision: ACK,
    };
  }
  const delaySeconds = retryDelayAfter(delivery.attempt);
  const nextAttemptAt = delaySeconds === null ? null : new Date(Date.now() + delaySeconds * 1000).toISOString();
  return {
    outcome: {
      ...settled,
      status: delaySeconds === null ? "failed" : "pending",
      responseStatus: sent.responseStatus,
      error: sent.error,
      nextAttemptAt,
    },
    decision: delaySeconds === null ? ACK : { ack: false, delaySeconds },
  };
}

/**
 * The attempts of claimed deliveries, started together: one round trip reads their events as
 * they are now (spec §10: an attempt sends the event as it is when the attempt starts, so an
 * archive committed after the claim is reflected), then the POSTs run concurrently. Whatever
 * starts attempts later than their claim (in turns, say) calls this when it starts them.
 * Returns each delivery's settlement by `refKey`.
 */
export async function sendClaimed(
  db: Db,
  claimed: ClaimedDelivery[],
  now: Date,
  options: AttemptOptions,
): Promise<[string, Settled][]> {
  const events = await readEventsToSend(
    db,
    claimed.filter((delivery) => delivery.attempt !== null),
  );
  return Promise.all(
    claimed.map(async (delivery): Promise<[string, Settled]> => {
      const key = refKey(delivery.org_id, delivery.delivery_id);
      const event = events.get(eventKey(delivery.org_id, delivery.event.id)) ?? null;
      try {
        return [key, await attemptDelivery(delivery, event, now, options)];
      } catch (error) {
        logError("event delivery failed in the consumer", {
          delivery_id: delivery.delivery_id,
          error: error instanceof Error ? error.name : "unknown",
        });
        return [key, { outcome: null, decision: CONSUMER_ERROR }];
      }
    }),
  );
}

/**
 * Every delivery of a batch, in three D1 round trips whatever its size: one claims them all,
 * one reads their events as the attempts start (`sendClaimed`), then the POSTs run
 * concurrently, then one batch records every outcome. Copies of a message in the batch share
 * one attempt. Returns each referenced delivery's decision by `refKey`; a delivery gone (with
 * its destination or expired event) is absent (ack it).
 */
async function attemptBatch(db: Db, refs: DeliveryRef[], options: AttemptOptions): Promise<Map<string, Decision>> {
  const now = new Date();
  const claimed = await claimDeliveriesToSend(db, refs, now.toISOString(), heldDestinationIds());
  const settled = await sendClaimed(db, claimed, now, options);
  await recordOutcomes(
    db,
    settled.flatMap(([, { outcome }]) => (outcome ? [outcome] : [])),
  );
  return new Map(settled.map(([key, { decision }]) => [key, decision]));
}

/**
 * The delivery queue's consumer: each message is one attempt of one delivery. A failed attempt
 * comes back through `message.retry` after the schedule's delay; a message the consumer itself
 * could not handle comes back after a minute (and, past max_retries, lands in the dead-letter
 * queue). The batch's deliveries are read in one round trip, attempted concurrently, and their
 * outcomes recorded in one more. Each attempt is logged unless `LOG_REQUESTS` is "false".
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const messages: { message: Message<unknown>; key: string }[] = [];
  const refs = new Map<string, DeliveryRef>();
  for (const message of batch.messages) {
    if (!isDeliveryMessage(message.body)) {
      message.ack();
      continue;
    }
    const { org_id: orgId, delivery_id: deliveryId } = message.body;
    const key = refKey(orgId, deliveryId);
    refs.set(key, { orgId, deliveryId });
    messages.push({ message, key });
  }
  if (messages.length === 0) return;
  // No request behind a batch: its own session, on the primary (it records outcomes).
  const db = primarySession(env.DB);
  let decisions: Map<string, Decision>;
  try {
    decisions = await attemptBatch(db, [...refs.values()], {
      settings: env,
      logAttempt: env.LOG_REQUESTS !== "false",
    });
  } catch (error) {
    logError("event delivery batch failed in the consumer", {
      messages: messages.length,
      error: error instanceof Error ? error.name : "unknown",
    });
    decisions = new Map();
    for (const key of refs.keys()) decisions.set(key, CONSUMER_ERROR);
  }
  const deferred = await deferDeliveries(db, env.EVENT_DELIVERIES, decisions);
  for (const { message, key } of messages) {
    const decision = decisions.get(key) ?? ACK;
    if ("defer" in decision) {
      if (deferred) message.ack();
      else message.retry({ delaySeconds: decision.defer.seconds });
    } else if (decision.ack) message.ack();
    else message.retry({ delaySeconds: decision.delaySeconds });
  }
}

/**
 * Puts the deliveries of held destinations back on the queue, as new messages delayed until
 * their hold ends, and moves their due time there (so the sweep leaves them alone). Returns
 * whether that worked; if not, their messages are retried instead (spending one retry each).
 */
async function deferDeliveries(db: Db, queue: Queue, decisions: Map<string, Decision>): Promise<boolean> {
  const bySeconds = new Map<number, DeliveryRef[]>();
  for (const decision of decisions.values()) {
    if (!("defer" in decision)) continue;
    const { seconds, ...ref } = decision.defer;
    bySeconds.set(seconds, [...(bySeconds.get(seconds) ?? []), ref]);
  }
  if (bySeconds.size === 0) return true;
  try {
    for (const [seconds, refs] of bySeconds) {
      const until = new Date(Date.now() + seconds * 1000).toISOString();
      await postponeDeliveries(
        db,
        refs.map((ref) => ref.deliveryId),
        until,
      );
      await sendDeliveryMessages(
        queue,
        refs.map((ref) => ({ id: ref.deliveryId, org_id: ref.orgId })),
        seconds,
      );
    }
    return true;
  } catch (error) {
    logError("deferring held deliveries failed", { error: error instanceof Error ? error.name : "unknown" });
    return false;
  }
}

/**
 * The dead-letter queue's consumer. A message lands there only after the consumer failed on
 * it more times than max_retries (far more than the schedule's 7 retries): it is poison, and
 * re-sending it would loop. Its delivery, if still pending, is marked `failed`
 * (`dead_lettered`), the whole batch in one round trip; a replay can send the event again.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const at = new Date().toISOString();
  const deliveryIds = new Set<string>();
  for (const message of batch.messages) {
    if (isDeliveryMessage(message.body)) deliveryIds.add(message.body.delivery_id);
  }
  await recordOutcomes(
    primarySession(env.DB),
    [...deliveryIds].map((deliveryId) => ({
      deliveryId,
      status: "failed",
      responseStatus: null,
      error: "dead_lettered",
      nextAttemptAt: null,
      at,
    })),
  );
  for (const message of batch.messages) message.ack();
}
