import type { Db } from "../lib/db";
import { type EventType, selects, selectsSql } from "./event-types";

/**
 * The fan-out: the SQL that turns recorded events into pending deliveries, one per enabled
 * destination that selects the event's type. Recording appends it to a change's batch; replay
 * (event-deliveries) writes deliveries the same way.
 */

/** A new pending delivery, as every fan-out writes one (the columns its SELECT fills, in order). */
export const INSERT_DELIVERIES = `INSERT INTO event_deliveries
  (id, org_id, destination_id, event_id, event_type, next_attempt_at, created_at, updated_at)`;
export const NEW_DELIVERY_ID = "'evd_' || upper(hex(randomblob(13)))";

/**
 * One pending delivery per enabled destination of the organization that selects the event's
 * type, for the events (ids as a JSON array) that exist: an event whose change did not commit
 * does not exist, so it fans out to nothing. (`+e.org_id` keeps the organization filter but
 * off the index, so SQLite finds the events by their ids instead of walking the organization's.)
 * It returns the new deliveries' `id, org_id`: after the commit they go to the queue as they are.
 */
export function fanOutDeliveriesStatement(db: Db, orgId: string, eventIds: string[]): D1PreparedStatement {
  return db
    .prepare(
      `${INSERT_DELIVERIES}
       SELECT ${NEW_DELIVERY_ID}, e.org_id, d.id, e.id, e.type, e.created_at, e.created_at, e.created_at
       FROM events e JOIN event_destinations d ON d.org_id = e.org_id AND d.status = 'enabled'
       WHERE +e.org_id = ?1 AND e.id IN (SELECT value FROM json_each(?2)) AND ${selectsSql("d.event_types", "e.type")}
       ORDER BY e.seq
       RETURNING id, org_id`,
    )
    .bind(orgId, JSON.stringify(eventIds));
}

/**
 * The fan-out of one event recorded in the same batch that certainly exists when this runs (a
 * creation: the batch fails otherwise), so it needs only the destinations — no lookup of the
 * event, no list of ids to walk. Returns the new deliveries' `id, org_id`, as above.
 */
export function fanOutNewEventStatement(
  db: Db,
  orgId: string,
  eventId: string,
  type: EventType,
  createdAt: string,
): D1PreparedStatement {
  return db
    .prepare(
      `${INSERT_DELIVERIES}
       SELECT ${NEW_DELIVERY_ID}, d.org_id, d.id, ?2, ?3, ?4, ?4, ?4
       FROM event_destinations d
       WHERE d.org_id = ?1 AND d.status = 'enabled' AND ${selectsSql("d.event_types", "?3")}
       RETURNING id, org_id`,
    )
    .bind(orgId, eventId, type, createdAt);
}

/** The selectors (`event_types` JSON arrays) of the organization's enabled destinations (at most 16 rows). */
export function enabledSelectorsStatement(db: Db, orgId: string): D1PreparedStatement {
  return db.prepare("SELECT event_types FROM event_destinations WHERE org_id = ?1 AND status = 'enabled'").bind(orgId);
}

/**
 * How many deliveries events of these types would fan out to, given the rows of
 * `enabledSelectorsStatement`: for each event, the destinations that select its type.
 */
export function fanOutSize(selectorRows: { event_types: string }[], types: string[]): number {
  const destinations = selectorRows.map((row) => JSON.parse(row.event_types) as string[]);
  let deliveries = 0;
  for (const type of types) {
    for (const selectors of destinations) if (selectors.some((selector) => selects(selector, type))) deliveries++;
  }
  return deliveries;
}
