import { type PurgeOptions, type PurgeResult, purgeInBatches } from "../lib/batched-purge";
import type { Db } from "../lib/db";
import { countExpiredKeys, deleteExpiredKeys } from "./idempotency.repository";

/**
 * Deletes idempotency rows past their time (kept responses after 24 h, dead locks after
 * 60 s) in batches until none is left or the run's time budget is spent; rows not yet expired
 * at `now` are never touched. Rows the cleanup has not reached yet are harmless to requests
 * (the middleware treats an expired row as absent), but they hold kept responses: the backlog
 * is returned so the run's log shows it.
 */
export async function purgeExpiredIdempotencyKeys(db: Db, now: Date, options: PurgeOptions = {}): Promise<PurgeResult> {
  const cutoff = now.toISOString();
  return purgeInBatches(
    (limit) => deleteExpiredKeys(db, cutoff, limit),
    () => countExpiredKeys(db, cutoff),
    options,
  );
}
