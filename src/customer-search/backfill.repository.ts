import type { CustomerRow } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";

/** The backfill's SQL (backfill.ts): its progress row and its walk over customers by seq. */

export type BackfillProgress = { after_seq: number; finished_at: string | null };

export const readBackfillProgress = (db: Db) =>
  db.prepare("SELECT after_seq, finished_at FROM customer_search_backfill WHERE id = 1").first<BackfillProgress>();

/**
 * The next customers of every organization after `afterSeq` (the walk indexes them all, each
 * in its own organization: the statements it writes name each customer's org_id).
 */
export async function customersAfter(db: Db, afterSeq: number, limit: number): Promise<CustomerRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM customers WHERE seq > ?1 ORDER BY seq LIMIT ?2")
    .bind(afterSeq, limit)
    .all<CustomerRow>();
  return results;
}

/** Moves the walk on, only from where this run read it: overlapping runs never move it back. */
export const advanceBackfillStatement = (db: Db, from: number, to: number, finishedAt: string | null) =>
  db
    .prepare("UPDATE customer_search_backfill SET after_seq = ?1, finished_at = ?2 WHERE id = 1 AND after_seq = ?3")
    .bind(to, finishedAt, from);
