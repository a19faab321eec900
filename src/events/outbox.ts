import type { RecordedEvents } from "./events.repository";

/**
 * What a write path needs to record events and have them delivered: the request's id (each
 * event carries it) and what to do once the batch holding the events committed.
 */
export type EventsOutbox = {
  requestId: string | null;
  /**
   * After the batch that carried `recorded` committed, with that batch's statements and
   * results: sends the deliveries its fan-out inserted to the queue, in the background. When
   * the fan-out inserted none (no destination selects the events, or the change did not
   * commit) there is nothing to send and no further read is made.
   */
  committed(orgId: string, recorded: RecordedEvents[], statements: D1PreparedStatement[], results: D1Result[]): void;
};

/** How many deliveries the recordings' fan-outs (the last statement of each) inserted in this batch. */
export function deliveriesFannedOut(
  recorded: RecordedEvents[],
  statements: D1PreparedStatement[],
  results: D1Result[],
): number {
  let count = 0;
  for (const each of recorded) {
    const fanOut = each.statements.at(-1);
    const index = fanOut === undefined ? -1 : statements.lastIndexOf(fanOut);
    count += index < 0 ? 0 : (results[index]?.meta.changes ?? 0);
  }
  return count;
}
