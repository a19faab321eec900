import type { Db } from "../lib/db";
import { newId } from "../lib/ids";
import type { SqlGuard } from "../lib/sql-guard";
import type { EventType } from "./event-types";
import { fanOutDeliveriesStatement, fanOutNewEventStatement } from "./fan-out.repository";

/**
 * Recording the events outbox: the statements a change appends to its own atomic batch, and the
 * redaction an archive appends to its own. The fan-out to destinations that recording appends
 * is in fan-out.repository.ts; lists, lookups and retention in events-reading.repository.ts.
 */

export type { SqlGuard };

/** The customer is at `version` (every customer change bumps it, so this names one change). */
export const customerVersionGuard = (orgId: string, customerId: string, version: number): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND version = ?)",
  params: [orgId, customerId, version],
});

/** The customer's `event_sequence` is this (every change to it or its records bumps it). */
export const customerEventSequenceGuard = (orgId: string, customerId: string, eventSequence: number): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND event_sequence = ?)",
  params: [orgId, customerId, eventSequence],
});

/** Reads the customer's `event_sequence` (a row `{ event_sequence }`, none for no such customer). */
export const customerEventSequenceStatement = (db: Db, orgId: string, customerId: string): D1PreparedStatement =>
  db.prepare("SELECT event_sequence FROM customers WHERE org_id = ?1 AND id = ?2").bind(orgId, customerId);

/** Both guards hold. */
export const bothGuards = (first: SqlGuard, second: SqlGuard): SqlGuard => ({
  sql: `(${first.sql}) AND (${second.sql})`,
  params: [...first.params, ...second.params],
});

/** Every event with these (fresh) ids was recorded: exactly when the change that records them committed. */
export const eventsRecordedGuard = (orgId: string, eventIds: string[]): SqlGuard => ({
  sql: "(SELECT count(*) FROM events WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))) = ?",
  params: [orgId, JSON.stringify(eventIds), eventIds.length],
});

/** The archive that set `archived_at` to this timestamp committed. */
export const archiveCommittedGuard = (orgId: string, customerId: string, archivedAt: string): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND archived_at = ?)",
  params: [orgId, customerId, archivedAt],
});

export type EventData = { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };

export type NewEvent = {
  orgId: string;
  customerId: string;
  type: EventType;
  /** The resource as its GET returns it after the change. */
  object: Record<string, unknown>;
  /** On `*.updated` only: the old values of exactly the fields that changed. */
  previousAttributes?: Record<string, unknown>;
  requestId: string | null;
  createdAt: string;
  guard: SqlGuard;
  /** Defaults to a new `evt_…`. */
  id?: string;
};

export type RecordedEvents = {
  /** The ids the events get if the change commits; pass them to `enqueueDeliveries` after it did. */
  eventIds: string[];
  /** Append these, in order, to the change's own `db.batch`, after the change's statements. */
  statements: D1PreparedStatement[];
  /** The one of `statements` that inserts the deliveries: its result tells what to queue. */
  fanOut: D1PreparedStatement;
};

const eventData = (object: Record<string, unknown>, previousAttributes?: Record<string, unknown>): EventData =>
  previousAttributes === undefined ? { object } : { object, previous_attributes: previousAttributes };

const newEventId = () => newId("evt");

/**
 * The outbox for one change: bumps the customer's `event_sequence`, inserts the event with
 * that sequence, and inserts its pending deliveries, each statement acting only when
 * `event.guard` holds. So the event exists exactly when the change committed.
 */
export function recordEventStatements(db: Db, event: NewEvent): RecordedEvents {
  const id = event.id ?? newEventId();
  const { guard } = event;
  const data = JSON.stringify(eventData(event.object, event.previousAttributes));
  const fanOut = fanOutDeliveriesStatement(db, event.orgId, [id]);
  return {
    eventIds: [id],
    fanOut,
    statements: [
      db
        .prepare(
          `UPDATE customers SET event_sequence = event_sequence + 1 WHERE org_id = ? AND id = ? AND (${guard.sql})`,
        )
        .bind(event.orgId, event.customerId, ...guard.params),
      db
        .prepare(
          `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
           SELECT ?, org_id, ?, id, event_sequence, json(?), ?, ? FROM customers
           WHERE org_id = ? AND id = ? AND (${guard.sql})`,
        )
        .bind(id, event.type, data, event.requestId, event.createdAt, event.orgId, event.customerId, ...guard.params),
      fanOut,
    ],
  };
}

/**
 * The outbox for a customer's creation, after its INSERT in the same batch: the insert starts
 * the customer's `event_sequence` at 1 (`customers.repository.ts`), which the event takes, so
 * there is no counter to bump. No guard either: an insert that fails (a unique index) fails the
 * whole batch, so the event exists exactly when the customer does.
 */
export function recordCreationEventStatements(
  db: Db,
  event: Omit<NewEvent, "guard" | "previousAttributes">,
): RecordedEvents {
  const id = event.id ?? newEventId();
  const data = JSON.stringify(eventData(event.object));
  const fanOut = fanOutNewEventStatement(db, event.orgId, id, event.type, event.createdAt);
  return {
    eventIds: [id],
    fanOut,
    statements: [
      db
        .prepare(
          `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
           SELECT ?, org_id, ?, id, event_sequence, json(?), ?, ? FROM customers WHERE org_id = ? AND id = ?`,
        )
        .bind(id, event.type, data, event.requestId, event.createdAt, event.orgId, event.customerId),
      fanOut,
    ],
  };
}

/** One event of a series (`recordEventSeriesStatements`): what `NewEvent` says, less what the series shares. */
export type SeriesEvent = Pick<NewEvent, "type" | "object" | "previousAttributes" | "id">;

export type RecordedSeries = RecordedEvents & {
  /** Goes BEFORE the change in its batch: inserts the events while `guard` (the state the change requires) holds. */
  insert: D1PreparedStatement;
  /** Go AFTER the change: bump `event_sequence` by the series' length and fan out, only if the events were inserted. */
  afterChange: D1PreparedStatement[];
};

/**
 * The outbox for one change that is several events about one customer (an archive with its
 * cascade), in three statements whatever their number (the events travel as one JSON
 * parameter). They get consecutive sequences in the order given, the last the highest.
 *
 * `guard` must be exactly the state the change itself requires (e.g. the customer at the version
 * and `event_sequence` it was read at), so the events are inserted exactly when the change will
 * land: the insert goes before the change, which it does not alter. The bump and the fan-out go
 * after the change and act only if the series' last event exists (a fresh id: exact). The bump
 * cannot go before the change when the change is conditioned on `event_sequence` itself.
 * `statements` lists all three; they are not consecutive in the batch.
 */
export function recordEventSeriesStatements(
  db: Db,
  series: {
    orgId: string;
    customerId: string;
    requestId: string | null;
    createdAt: string;
    guard: SqlGuard;
    events: SeriesEvent[];
  },
): RecordedSeries {
  const items = series.events.map((event) => ({
    id: event.id ?? newEventId(),
    type: event.type,
    data: eventData(event.object, event.previousAttributes),
  }));
  const eventIds = items.map((item) => item.id);
  const lastId = eventIds.at(-1);
  if (lastId === undefined) throw new Error("an event series needs at least one event");
  const { orgId, customerId, guard } = series;
  const insert = db
    .prepare(
      `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
       SELECT json_extract(i.value, '$.id'), c.org_id, json_extract(i.value, '$.type'), c.id,
         c.event_sequence + 1 + i.key, json(json_extract(i.value, '$.data')), ?, ?
       FROM customers c CROSS JOIN json_each(?) i
       WHERE c.org_id = ? AND c.id = ? AND (${guard.sql})
       ORDER BY i.key`,
    )
    .bind(series.requestId, series.createdAt, JSON.stringify(items), orgId, customerId, ...guard.params);
  const bump = db
    .prepare(
      `UPDATE customers SET event_sequence = event_sequence + ?
       WHERE org_id = ? AND id = ? AND EXISTS (SELECT 1 FROM events WHERE id = ? AND org_id = ?)`,
    )
    .bind(items.length, orgId, customerId, lastId, orgId);
  const fanOut = fanOutDeliveriesStatement(db, orgId, eventIds);
  return { eventIds, insert, afterChange: [bump, fanOut], statements: [insert, bump, fanOut], fanOut };
}

export type NewImportedEvent = {
  customerId: string;
  /** The customer's `version` once the batch's change to it is done: the event's guard. */
  customerVersion: number;
  type: EventType;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  /**
   * When given, the customer's `updated_at` must also equal it: a version alone does not tell
   * this batch's write from a concurrent one that left the same version.
   */
  customerUpdatedAt?: string;
  id?: string;
};

/**
 * The set-based outbox for many changes in one batch (import): three statements whatever the
 * number of events, the events travelling as one JSON parameter. An event is recorded only if
 * its customer is at `customerVersion` after the batch's writes; several events of one customer
 * get consecutive sequences in the order given.
 */
export function recordEventsStatements(
  db: Db,
  batch: { orgId: string; requestId: string | null; createdAt: string; events: NewImportedEvent[] },
): RecordedEvents {
  const items = batch.events.map((event) => ({
    id: event.id ?? newEventId(),
    customer_id: event.customerId,
    customer_version: event.customerVersion,
    customer_updated_at: event.customerUpdatedAt ?? null,
    type: event.type,
    data: eventData(event.object, event.previousAttributes),
  }));
  const itemsJson = JSON.stringify(items);
  const eventIds = items.map((item) => item.id);
  const itemRows = `SELECT key AS position, json_extract(value, '$.id') AS id,
      json_extract(value, '$.customer_id') AS customer_id, json_extract(value, '$.customer_version') AS customer_version,
      json_extract(value, '$.customer_updated_at') AS customer_updated_at,
      json_extract(value, '$.type') AS type, json_extract(value, '$.data') AS data
    FROM json_each(?2)`;
  // The customer is where the batch's write left it; a subscription.created item's subscription
  // exists (its insert may have been skipped beside a concurrent one).
  const landed = (item: string, customer: string) => `${item}.customer_version = ${customer}.version
      AND (${item}.customer_updated_at IS NULL OR ${item}.customer_updated_at = ${customer}.updated_at)
      AND (${item}.type != 'subscription.created' OR EXISTS (SELECT 1 FROM subscriptions s
        WHERE s.org_id = ${customer}.org_id AND s.id = json_extract(${item}.data, '$.object.id')))`;
  const fanOut = fanOutDeliveriesStatement(db, batch.orgId, eventIds);
  return {
    eventIds,
    fanOut,
    statements: [
      db
        .prepare(
          // Counted per customer first (each item finds its customer by index), then applied:
          // a correlated count per customer row would walk every item for every customer.
          // CROSS JOIN fixes the order (items outer, customers by primary key): left to choose,
          // SQLite walked the organization's customers and the whole item list for each.
          `UPDATE customers SET event_sequence = event_sequence + landed.count
           FROM (SELECT c.seq, COUNT(*) AS count FROM (${itemRows}) i
                 CROSS JOIN customers c ON c.org_id = ?1 AND c.id = i.customer_id AND ${landed("i", "c")}
                 GROUP BY c.seq) AS landed
           WHERE customers.seq = landed.seq`,
        )
        .bind(batch.orgId, itemsJson),
      db
        .prepare(
          `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
           SELECT i.id, ?1, i.type, i.customer_id,
             c.event_sequence + 1 - row_number() OVER (PARTITION BY i.customer_id ORDER BY i.position DESC),
             json(i.data), ?3, ?4
           FROM (${itemRows}) i
           CROSS JOIN customers c ON c.org_id = ?1 AND c.id = i.customer_id AND ${landed("i", "c")}
           ORDER BY i.position`,
        )
        .bind(batch.orgId, itemsJson, batch.requestId, batch.createdAt),
      fanOut,
    ],
  };
}

const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Part of the archive batch: nulls `piiFields` in `data.object` and `data.previous_attributes`
 * of every stored event about the customer (json_replace adds no field), when `guard` (the
 * archive committed) holds. Deliveries hold no payload of their own (the consumer reads the
 * event when it sends), so nothing sent after the archive carries the erased values.
 */
export function redactCustomerEventsStatement(
  db: Db,
  orgId: string,
  customerId: string,
  piiFields: readonly string[],
  guard: SqlGuard,
): D1PreparedStatement {
  const paths: string[] = [];
  for (const field of piiFields) {
    if (!FIELD_NAME.test(field)) throw new Error(`not a field name: ${field}`);
    paths.push(`$.object.${field}`, `$.previous_attributes.${field}`);
  }
  const replacements = paths.map(() => "?, NULL").join(", ");
  return db
    .prepare(
      `UPDATE events SET data = json_replace(data, ${replacements})
       WHERE org_id = ? AND customer_id = ? AND (${guard.sql})`,
    )
    .bind(...paths, orgId, customerId, ...guard.params);
}
