import { profileOf } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";
import { advanceBackfillStatement, customersAfter, readBackfillProgress } from "./backfill.repository";
import { indexCustomersStatements } from "./search-index.repository";

/**
 * Indexes the customers that existed before the search structures did
 * (migrations/0015_create_customer_search.sql), from the scheduled handler: the words need
 * Unicode case folding and diacritic removal, which SQL cannot do, so the migration only
 * records where the walk starts and this does the rest, in the Worker, a batch of customers
 * (all organizations, by seq) per D1 round trip, until its time budget is spent; the next run
 * goes on from the progress row. Customers written since the upgrade index themselves; the
 * walk indexes them again, harmlessly (the same guarded statements). When a batch comes back
 * short, the walk is over and the row says so: later runs read one row and stop.
 */

export const BACKFILL_BATCH_SIZE = 200;
export const BACKFILL_TIME_BUDGET_MS = 10_000;

export type BackfillResult = { indexed: number; finished: boolean };

export async function backfillSearchIndex(
  db: Db,
  now: Date,
  { batchSize = BACKFILL_BATCH_SIZE, budgetMs = BACKFILL_TIME_BUDGET_MS, clock = Date.now } = {},
): Promise<BackfillResult> {
  const deadline = clock() + budgetMs;
  let indexed = 0;
  do {
    const progress = await readBackfillProgress(db);
    if (!progress || progress.finished_at !== null) return { indexed, finished: true };
    const rows = await customersAfter(db, progress.after_seq, batchSize);
    const live = rows.filter((row) => row.archived_at === null);
    const last = rows.at(-1)?.seq ?? progress.after_seq;
    const finished = rows.length < batchSize;
    await db.batch([
      ...indexCustomersStatements(
        db,
        live.map((row) => ({ orgId: row.org_id, id: row.id, profile: profileOf(row) })),
      ),
      advanceBackfillStatement(db, progress.after_seq, last, finished ? now.toISOString() : null),
    ]);
    indexed += live.length;
    if (finished) return { indexed, finished: true };
  } while (clock() < deadline);
  return { indexed, finished: false };
}
