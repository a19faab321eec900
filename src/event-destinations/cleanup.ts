import { type PurgeOptions, type PurgeResult, purgeInBatches } from "../lib/batched-purge";
import type { Db } from "../lib/db";
import { countDeletedDestinationsRows, purgeDeletedDestinationsDeliveries } from "./event-destinations.repository";

/**
 * The housekeeping's part for deleted destinations: deletes their deliveries (and then their
 * records in `deleted_event_destinations`) in batches, oldest deletion first, until none is left
 * or the time budget is spent; the rest is the backlog the next run continues. Until then the
 * rows are invisible: the destination's deliveries list answers 404, the console's timeline
 * skips them, and the consumer drops any it is handed (event-deliveries/deliveries.repository.ts).
 */
export async function purgeDeletedDestinations(db: Db, options: PurgeOptions = {}): Promise<PurgeResult> {
  return purgeInBatches(
    (limit) => purgeDeletedDestinationsDeliveries(db, limit),
    () => countDeletedDestinationsRows(db),
    options,
  );
}
