import type { EventType } from "./event-types";
import type { EventData } from "./events.repository";
import type { EventRow } from "./events-reading.repository";

export type EventObject = {
  object: "event";
  id: string;
  type: EventType;
  created_at: string;
  customer_id: string;
  sequence: number;
  data: EventData;
  request_id: string | null;
};

/** The event as the API shows it and as deliveries carry it (the signed body). */
export const toEventObject = (row: EventRow): EventObject => ({
  object: "event",
  id: row.id,
  type: row.type,
  created_at: row.created_at,
  customer_id: row.customer_id,
  sequence: row.sequence,
  data: JSON.parse(row.data) as EventData,
  request_id: row.request_id,
});
