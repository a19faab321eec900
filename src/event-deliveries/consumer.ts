import { toEventObject } from "../events/events.object";
import type { Db } from "../lib/db";
import { primarySession } from "../lib/db";
import { logError, logInfo } from "../lib/logger";
import {
  type DeliveryToSend,
  disableGoneDestination,
  findDeliveryToSend,
  recordOutcome,
  startAttempt,
} from "./deliveries.repository";
import type { DeliveryMessage } from "./queue";
import { retryDelayAfter } from "./schedule";
import { postSigned } from "./send";

/** When the consumer itself fails (D1 unreachable), the message comes back after this long. */
export const CONSUMER_ERROR_RETRY_SECONDS = 60;

type Decision = { ack: true } | { ack: false; delaySeconds: number };

const ACK: Decision = { ack: true };

const isDeliveryMessage = (body: unknown): body is DeliveryMessage =>
  typeof body === "object" &&
  body !== null &&
  typeof (body as Record<string, unknown>).org_id === "string" &&
  typeof (body as Record<string, unknown>).delivery_id === "string";

function signingSecrets(delivery: DeliveryToSend, now: Date): string[] {
  const previousValid =
    delivery.previous_secret !== null &&
    delivery.previous_secret_expires_at !== null &&
    delivery.previous_secret_expires_at > now.toISOString();
  return previousValid && delivery.previous_secret ? [delivery.secret, delivery.previous_secret] : [delivery.secret];
}

/** One attempt of one delivery, and what to do with its message. */
async function attemptDelivery(db: Db, message: DeliveryMessage, now: Date): Promise<Decision> {
  const nowIso = now.toISOString();
  const delivery = await findDeliveryToSend(db, message.org_id, message.delivery_id);
  // Gone with its destination or its expired event, or already settled by another copy.
  if (delivery?.delivery_status !== "pending") return ACK;
  if (delivery.destination_status === "disabled") {
    await recordOutcome(
      db,
      delivery.delivery_id,
      { status: "failed", responseStatus: null, error: "destination_disabled", nextAttemptAt: null },
      nowIso,
    );
    return ACK;
  }
  const attempt = await startAttempt(db, delivery.delivery_id, nowIso);
  if (attempt === null) return ACK;

  const outcome = await postSigned({
    url: delivery.url,
    messageId: delivery.event.id,
    body: JSON.stringify(toEventObject(delivery.event)),
    secrets: signingSecrets(delivery, now),
    now,
  });
  const done = new Date().toISOString();
  logInfo("event delivery attempt", {
    org_id: delivery.org_id,
    delivery_id: delivery.delivery_id,
    destination_id: delivery.destination_id,
    event_id: delivery.event.id,
    attempt,
    outcome: outcome.kind,
    response_status: outcome.responseStatus,
  });
  if (outcome.kind === "succeeded") {
    await recordOutcome(
      db,
      delivery.delivery_id,
      { status: "succeeded", responseStatus: outcome.responseStatus, error: null, nextAttemptAt: null },
      done,
    );
    return ACK;
  }
  if (outcome.kind === "gone") {
    await disableGoneDestination(
      db,
      { orgId: delivery.org_id, deliveryId: delivery.delivery_id, destinationId: delivery.destination_id },
      done,
    );
    return ACK;
  }
  const delaySeconds = retryDelayAfter(attempt);
  const nextAttemptAt = delaySeconds === null ? null : new Date(Date.now() + delaySeconds * 1000).toISOString();
  await recordOutcome(
    db,
    delivery.delivery_id,
    {
      status: delaySeconds === null ? "failed" : "pending",
      responseStatus: outcome.responseStatus,
      error: outcome.error,
      nextAttemptAt,
    },
    done,
  );
  return delaySeconds === null ? ACK : { ack: false, delaySeconds };
}

/**
 * The delivery queue's consumer: each message is one attempt of one delivery. A failed attempt
 * comes back through `message.retry` after the schedule's delay; a message the consumer itself
 * could not handle comes back after a minute (and, past max_retries, lands in the dead-letter
 * queue). Messages of a batch are attempted concurrently.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // No request behind a batch: its own session, on the primary (it records outcomes).
  const db = primarySession(env.DB);
  await Promise.all(
    batch.messages.map(async (message) => {
      if (!isDeliveryMessage(message.body)) {
        message.ack();
        return;
      }
      try {
        const decision = await attemptDelivery(db, message.body, new Date());
        if (decision.ack) message.ack();
        else message.retry({ delaySeconds: decision.delaySeconds });
      } catch (error) {
        logError("event delivery failed in the consumer", {
          delivery_id: message.body.delivery_id,
          error: error instanceof Error ? error.name : "unknown",
        });
        message.retry({ delaySeconds: CONSUMER_ERROR_RETRY_SECONDS });
      }
    }),
  );
}

/**
 * The dead-letter queue's consumer. A message lands there only after the consumer failed on
 * it more times than max_retries (far more than the schedule's 7 retries): it is poison, and
 * re-sending it would loop. Its delivery, if still pending, is marked `failed`
 * (`dead_lettered`); a replay can send the event again.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const now = new Date().toISOString();
  const db = primarySession(env.DB);
  for (const message of batch.messages) {
    if (isDeliveryMessage(message.body)) {
      await recordOutcome(
        db,
        message.body.delivery_id,
        { status: "failed", responseStatus: null, error: "dead_lettered", nextAttemptAt: null },
        now,
      );
    }
    message.ack();
  }
}
