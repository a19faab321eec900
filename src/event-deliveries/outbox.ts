import type { RecordedEvents } from "../events/events.repository";
import { deliveriesFannedOut, type EventsOutbox, fanOutResults } from "../events/outbox";
import { type Background, inBackground, type RequestContext } from "../lib/background";
import type { WrittenBatch } from "../lib/batch";
import type { DeliveryMessageRef } from "./deliveries.repository";
import { enqueueDeliveries, sendDeliveryMessagesSoon } from "./queue";

const isDeliveryRef = (row: unknown): row is DeliveryMessageRef =>
  typeof row === "object" &&
  row !== null &&
  typeof (row as Record<string, unknown>).id === "string" &&
  typeof (row as Record<string, unknown>).org_id === "string";

/**
 * The deliveries the recordings' fan-outs inserted, as their `RETURNING id, org_id` rows in the
 * batch's results; null when a fan-out's rows are not all there (a fan-out without RETURNING),
 * so the caller reads them back instead.
 */
function returnedDeliveries(recorded: RecordedEvents[], batch: WrittenBatch): DeliveryMessageRef[] | null {
  const deliveries: DeliveryMessageRef[] = [];
  for (const result of fanOutResults(recorded, batch)) {
    const rows = result.results ?? [];
    if (rows.length !== (result.meta.changes ?? 0) || !rows.every(isDeliveryRef)) return null;
    deliveries.push(...rows);
  }
  return deliveries;
}

/**
 * The outbox of one request (or webhook delivery): its id goes on every event, and after a
 * commit the new deliveries are queued in the background, straight from the rows the fan-out
 * returned (no read after the commit), in one send with those the isolate's other requests
 * commit meanwhile. If that fails, the scheduled sweep sends them once they are overdue, so
 * nothing is lost.
 */
export function eventsOutbox(env: Env, requestId: string | null, background: Background): EventsOutbox {
  return {
    requestId,
    committed(orgId, recorded, statements, results) {
      const batch = { statements, results };
      if (deliveriesFannedOut(recorded, batch) === 0) return;
      const returned = returnedDeliveries(recorded, batch);
      if (returned) sendDeliveryMessagesSoon(env.EVENT_DELIVERIES, returned, background);
      else
        background(
          enqueueDeliveries(
            env,
            orgId,
            recorded.flatMap((each) => each.eventIds),
          ),
        );
    },
  };
}

/** The outbox of the request `c` is handling. */
export const requestOutbox = (c: RequestContext): EventsOutbox =>
  eventsOutbox(c.env, c.get("requestId"), inBackground(c, "queueing event deliveries"));
