import { resultOf, type WrittenBatch } from "../lib/batch";
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

/** The result of each recording's fan-out in `batch` (none for a recording the batch did not run). */
export const fanOutResults = (recorded: RecordedEvents[], batch: WrittenBatch): D1Result[] =>
  recorded.flatMap((each) => resultOf(batch, each.fanOut) ?? []);

/** How many deliveries the recordings' fan-outs inserted in `batch`. */
export const deliveriesFannedOut = (recorded: RecordedEvents[], batch: WrittenBatch): number =>
  fanOutResults(recorded, batch).reduce((count, result) => count + (result.meta.changes ?? 0), 0);
