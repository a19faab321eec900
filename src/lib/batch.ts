import type { Db } from "./db";

/**
 * A batch as it ran: its statements in order and their results. What a write path hands the
 * events outbox after a commit, and where it finds what its own statements did.
 */
export type WrittenBatch = { statements: D1PreparedStatement[]; results: D1Result[] };

/** A batch that wrote (or, when its guard failed, did not write) one row it returns. */
export type WrittenRow<Row> = WrittenBatch & { row: Row | null };

/** Runs `statements` as one atomic batch and keeps them with their results. */
export async function runBatch(db: Db, statements: D1PreparedStatement[]): Promise<WrittenBatch> {
  return { statements, results: await db.batch(statements) };
}

/**
 * The result of `statement` in `batch`, found by the statement itself (each prepared statement
 * object stands once in a batch), never by counting places: statements added before or after
 * it cannot shift what is read. Undefined when the batch did not run it.
 */
export function resultOf(batch: WrittenBatch, statement: D1PreparedStatement | undefined): D1Result | undefined {
  if (statement === undefined) return undefined;
  const index = batch.statements.indexOf(statement);
  return index < 0 ? undefined : batch.results[index];
}

/** The first row `statement` returned in `batch` (its RETURNING or SELECT), or null. */
export const firstRowOf = <Row>(batch: WrittenBatch, statement: D1PreparedStatement | undefined): Row | null =>
  (resultOf(batch, statement)?.results[0] as Row | undefined) ?? null;

/** How many rows `statement` changed in `batch`. */
export const changesOf = (batch: WrittenBatch, statement: D1PreparedStatement | undefined): number =>
  resultOf(batch, statement)?.meta.changes ?? 0;

/** Every row `statement` returned in `batch` (none when the batch did not run it). */
export const rowsOf = <Row>(batch: WrittenBatch, statement: D1PreparedStatement | undefined): Row[] =>
  (resultOf(batch, statement)?.results ?? []) as Row[];
