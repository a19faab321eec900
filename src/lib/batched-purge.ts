/** How a cleanup deletes: rows per DELETE, and how long one run may keep going. */
export type PurgeOptions = {
  /** Rows per DELETE: small enough to keep each statement short inside D1's limits. */
  batchSize?: number;
  /** Wall time one run may spend on one table; what is left waits for the next run. */
  budgetMs?: number;
  /** Milliseconds now (tests inject one). */
  clock?: () => number;
};

export const PURGE_BATCH_SIZE = 500;
/** Per table; two tables stay well inside a Cron Trigger's limits and its 30-minute interval. */
export const PURGE_TIME_BUDGET_MS = 10_000;

/** What a run did: rows deleted, and rows still due that it left (0 when it finished). */
export type PurgeResult = { deleted: number; backlog: number };

/**
 * Calls `deleteBatch` until a batch comes back short (nothing due is left) or the time budget
 * is spent, then counts what is left with `countDue`, so the run's log shows a backlog that
 * builds up instead of a cleanup that silently falls behind.
 */
export async function purgeInBatches(
  deleteBatch: (limit: number) => Promise<number>,
  countDue: () => Promise<number>,
  { batchSize = PURGE_BATCH_SIZE, budgetMs = PURGE_TIME_BUDGET_MS, clock = Date.now }: PurgeOptions = {},
): Promise<PurgeResult> {
  const deadline = clock() + budgetMs;
  let deleted = 0;
  do {
    const count = await deleteBatch(batchSize);
    deleted += count;
    if (count < batchSize) return { deleted, backlog: 0 };
  } while (clock() < deadline);
  return { deleted, backlog: await countDue() };
}
