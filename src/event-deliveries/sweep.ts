import { deleteEventsCreatedBefore } from "../events/events-reading.repository";
import type { Db } from "../lib/db";
import { claimOverdueDeliveries, clearExpiredDestinationSecrets } from "./deliveries.repository";
import { sendDeliveryMessages } from "./queue";

/** Events (and their deliveries) are kept this long (spec §10). */
export const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * A pending delivery this long past its due time lost its queue message (a crash between the
 * commit and the send, or a lost message; queues deliver a delayed message a little late, so
 * "due" alone would re-send too eagerly). With the sweep every minute, a lost message's delivery
 * is re-sent at most about 3 minutes after it was due. Re-sending one that was only late costs a
 * duplicate attempt, which receivers drop by `webhook-id`.
 */
export const OVERDUE_GRACE_MS = 2 * 60 * 1000;
/** A re-sent delivery is left alone this long, so the next sweeps do not send it again. */
export const RESEND_LEASE_MS = 5 * 60 * 1000;

export const SWEEP_BATCH_SIZE = 100;
export const RETENTION_BATCH_SIZE = 500;
/** Bounds on one run: batches per part, and wall time for the whole sweep. */
export const SWEEP_MAX_BATCHES = 50;
export const SWEEP_TIME_BUDGET_MS = 20_000;

export type SweepResult = { deliveriesResent: number; eventsExpired: number; previousSecretsErased: number };

/**
 * Re-sends every delivery still pending past its due time (+ grace) through the queue, in
 * batches until none is left or the budget is spent (the rest waits for the next run). The
 * every-minute Cron runs only this.
 */
export async function resendOverdueDeliveries(db: Db, queue: Queue, now = new Date()): Promise<number> {
  const deadline = Date.now() + SWEEP_TIME_BUDGET_MS;
  const overdueBefore = new Date(now.getTime() - OVERDUE_GRACE_MS).toISOString();
  const leaseUntil = new Date(now.getTime() + RESEND_LEASE_MS).toISOString();
  let deliveriesResent = 0;
  for (let batch = 0; batch < SWEEP_MAX_BATCHES && Date.now() < deadline; batch++) {
    const overdue = await claimOverdueDeliveries(db, overdueBefore, leaseUntil, SWEEP_BATCH_SIZE);
    await sendDeliveryMessages(queue, overdue);
    deliveriesResent += overdue.length;
    if (overdue.length < SWEEP_BATCH_SIZE) break;
  }
  return deliveriesResent;
}

/**
 * The events part of the half-hourly run: re-sends overdue deliveries, then deletes events
 * older than 30 days with their deliveries, in batches until done or the budget is spent.
 * Finally erases previous destination secrets whose 24 hours are over.
 */
export async function sweepEvents(db: Db, queue: Queue, now = new Date()): Promise<SweepResult> {
  const deadline = Date.now() + SWEEP_TIME_BUDGET_MS;
  const deliveriesResent = await resendOverdueDeliveries(db, queue, now);
  const cutoff = new Date(now.getTime() - EVENT_RETENTION_MS).toISOString();
  let eventsExpired = 0;
  for (let batch = 0; batch < SWEEP_MAX_BATCHES && Date.now() < deadline; batch++) {
    const count = await deleteEventsCreatedBefore(db, cutoff, RETENTION_BATCH_SIZE);
    eventsExpired += count;
    if (count < RETENTION_BATCH_SIZE) break;
  }
  const previousSecretsErased = await clearExpiredDestinationSecrets(db, now.toISOString());
  return { deliveriesResent, eventsExpired, previousSecretsErased };
}
