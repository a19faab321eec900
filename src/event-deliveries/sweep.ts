import { deleteEventsCreatedBefore } from "../events/events-reading.repository";
import type { Db } from "../lib/db";
import { claimOverdueDeliveries, clearExpiredDestinationSecrets } from "./deliveries.repository";
import { sendDeliveryMessages } from "./queue";

/** Events (and their deliveries) are kept this long (spec §10). */
export const EVENT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * A pending delivery this long past its due time lost its queue message (queues deliver a
 * delayed message a little late, so "due" alone would re-send too eagerly).
 */
export const OVERDUE_GRACE_MS = 10 * 60 * 1000;
/** A re-sent delivery is left alone this long, so the next sweep does not send it again. */
export const RESEND_LEASE_MS = 15 * 60 * 1000;

export const SWEEP_BATCH_SIZE = 100;
export const RETENTION_BATCH_SIZE = 500;
/** Bounds on one run: batches per part, and wall time for the whole sweep. */
export const SWEEP_MAX_BATCHES = 50;
export const SWEEP_TIME_BUDGET_MS = 20_000;

export type SweepResult = { deliveriesResent: number; eventsExpired: number; previousSecretsErased: number };

/**
 * The events part of the scheduled run: re-sends every delivery still pending past its due
 * time (+ grace) through the queue, then deletes events older than 30 days with their
 * deliveries; both in batches until done or the budget is spent (the rest waits for the next
 * run). Finally erases previous destination secrets whose 24 hours are over.
 */
export async function sweepEvents(db: Db, queue: Queue, now = new Date()): Promise<SweepResult> {
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
