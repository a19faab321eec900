import { deliveriesFannedOut, type EventsOutbox } from "../events/outbox";
import { type Background, inBackground, type RequestContext } from "../lib/background";
import { enqueueDeliveries } from "./queue";

/**
 * The outbox of one request (or webhook delivery): its id goes on every event, and after a
 * commit the new deliveries are queued in the background. If that fails, the scheduled sweep
 * sends them once they are overdue, so nothing is lost.
 */
export function eventsOutbox(env: Env, requestId: string | null, background: Background): EventsOutbox {
  return {
    requestId,
    committed(orgId, recorded, statements, results) {
      if (deliveriesFannedOut(recorded, statements, results) === 0) return;
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
