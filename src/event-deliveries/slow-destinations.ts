import { ExpiringLru } from "../lib/expiring-lru";

/**
 * Destinations whose receiver let an attempt run into the 15 s timeout, held for a while in this
 * consumer isolate: their deliveries are not attempted but put back on the queue for when the
 * hold ends (without counting an attempt). A receiver that hangs costs the consumer one batch's
 * time per hold, not one batch per batch of its deliveries, so another organization's deliveries
 * queued behind a backlog to it wait at most one slow batch (docs/fairness.md).
 *
 * When the hold ends, the next batch attempts the destination's deliveries again: a receiver
 * that answers is served at once, one that hangs again is held again. Each consumer isolate
 * learns on its own (at most one slow batch each per hold).
 */
export const SLOW_DESTINATION_HOLD_SECONDS = 60;

/** Destination ids → when their hold ends (epoch ms). */
const held = new ExpiringLru<string, number>(10_000, SLOW_DESTINATION_HOLD_SECONDS * 1000);

export function holdSlowDestination(destinationId: string, now = Date.now()): void {
  held.set(destinationId, now + SLOW_DESTINATION_HOLD_SECONDS * 1000, now);
}

/** Seconds until the destination's hold ends (at least 1), or null when it is not held. */
export function secondsHeld(destinationId: string, now = Date.now()): number | null {
  const until = held.get(destinationId, now);
  return until === undefined ? null : Math.max(1, Math.ceil((until - now) / 1000));
}

/** The ids of the destinations held now. */
export function heldDestinationIds(now = Date.now()): string[] {
  return held.keys(now);
}

/** Tests: forget every hold. */
export function forgetSlowDestinations(): void {
  held.clear();
}
