import type { Db } from "../lib/db";
import { deleteExpiredKeys } from "./idempotency.repository";

/** Rows per DELETE: small enough to keep each statement short inside D1's limits. */
export const CLEANUP_BATCH_SIZE = 500;
/** DELETEs per run: bounds one run's work; whatever is left waits for the next run. */
export const CLEANUP_MAX_BATCHES = 20;

/**
 * Deletes idempotency rows past their time (kept responses after 24 h, dead locks after
 * 60 s) in bounded batches; rows not yet expired at `now` are never touched. Rows the cleanup
 * has not reached yet are harmless: the middleware treats an expired row as absent.
 */
export async function purgeExpiredIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const cutoff = now.toISOString();
  let deleted = 0;
  for (let batch = 0; batch < CLEANUP_MAX_BATCHES; batch++) {
    const count = await deleteExpiredKeys(db, cutoff, CLEANUP_BATCH_SIZE);
    deleted += count;
    if (count < CLEANUP_BATCH_SIZE) break;
  }
  return deleted;
}
