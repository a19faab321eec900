import { changesOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import type { EventType } from "./event-types";

/**
 * Reading the events outbox: lists, lookups, the index scans replay reads by, and retention.
 * Recording is in events.repository.ts.
 *
 * Every read of an organization's events is one range of one index (migration 0013), read in
 * the index's order, (created_at, seq): a page costs what it returns, whatever the organization
 * holds (docs/fairness.md). The index is named (`INDEXED BY`), so no statistics (`ANALYZE`, or
 * their absence) can move a query to another plan; test/events-query-plans.test.ts pins them.
 */

export type EventRow = {
  seq: number;
  id: string;
  org_id: string;
  /** Only recording writes events, and it writes known types. */
  type: EventType;
  customer_id: string;
  sequence: number;
  data: string;
  request_id: string | null;
  created_at: string;
};

/** The type group of the index (0013): `customer.` for `customer.updated`. The exact text the index has. */
const TYPE_GROUP = "substr(type, 1, instr(type, '.'))";

/** Which events of an organization a read takes by type: all, one type, or one group (`customer.`). */
export type TypeSelection = { all: true } | { type: string } | { group: string };

const ALL: TypeSelection = { all: true };

/** The index that reads a type selection, optionally of one customer, as one range in (created_at, seq) order. */
function indexFor(selection: TypeSelection, byCustomer: boolean): string {
  const customer = byCustomer ? "customer_" : "";
  if ("type" in selection) return `events_by_org_${customer}type_created`;
  if ("group" in selection) return `events_by_org_${customer}group_created`;
  return byCustomer ? "events_by_org_customer_created" : "events_by_org_created";
}

/** The selection's condition on `type`, with `placeholder` for its value (none for all). */
function typeCondition(selection: TypeSelection, placeholder: string): { sql: string; value?: string } {
  if ("type" in selection) return { sql: `type = ${placeholder}`, value: selection.type };
  if ("group" in selection) return { sql: `${TYPE_GROUP} = ${placeholder}`, value: selection.group };
  return { sql: "1" };
}

/**
 * The disjoint type selections that together read what a destination's selectors (`*`,
 * `customer.*`, exact types) pick: replay reads each as its own index range and merges them, so
 * a destination of a rare type reads that type's events only.
 */
export function selectionsFor(selectors: readonly string[]): TypeSelection[] {
  if (selectors.includes("*")) return [ALL];
  const groups = selectors.filter((selector) => selector.endsWith(".*")).map((selector) => selector.slice(0, -1));
  const types = selectors.filter((selector) => !selector.endsWith(".*") && !groups.some((g) => selector.startsWith(g)));
  const byGroup: TypeSelection[] = [...new Set(groups)].map((group) => ({ group }));
  const byType: TypeSelection[] = [...new Set(types)].map((type) => ({ type }));
  return [...byGroup, ...byType];
}

/**
 * One index range of an organization's events (`?1` the organization), for replay's merged
 * reads: `SELECT columns FROM events INDEXED BY … WHERE org_id = ?1 AND <type> AND <extra>`. The
 * selection's value (`selectionValue`; none for all) is bound at `?{paramNumber}`.
 */
export function eventRangeSql(
  selection: TypeSelection,
  paramNumber: number | null,
  columns: string,
  extra: string,
): string {
  const condition = typeCondition(selection, paramNumber === null ? "NULL" : `?${paramNumber}`);
  return `SELECT ${columns} FROM events INDEXED BY ${indexFor(selection, false)}
    WHERE org_id = ?1 AND ${condition.sql} AND ${extra}`;
}

/** The value `eventRangeSql` binds for the selection (null: none). */
export const selectionValue = (selection: TypeSelection): string | null => typeCondition(selection, "?").value ?? null;

export type EventListFilters = {
  /** An exact type. */
  type?: string;
  /** A type prefix ending in a dot (`customer.`), from a `customer.*` filter. */
  typePrefix?: string;
  customerId?: string;
  createdGte?: string;
  createdLt?: string;
};

/**
 * Newest first (created_at, then seq), after the event at `afterSeq` (a cursor) when given, at
 * most `limit` rows. Whatever the filters, the read is one range of one index. A cursor whose
 * event is gone (retention deleted it, with every older one) ends the list.
 */
export async function listEvents(
  db: Db,
  orgId: string,
  filters: EventListFilters,
  afterSeq: number | null,
  limit: number,
): Promise<EventRow[]> {
  const selection: TypeSelection =
    filters.type !== undefined
      ? { type: filters.type }
      : filters.typePrefix !== undefined
        ? { group: filters.typePrefix }
        : ALL;
  const params: unknown[] = [orgId];
  const next = (value: unknown) => {
    params.push(value);
    return `?${params.length}`;
  };
  const conditions = ["org_id = ?1"];
  if (filters.customerId !== undefined) conditions.push(`customer_id = ${next(filters.customerId)}`);
  const type = typeCondition(selection, "?");
  if (type.value !== undefined) conditions.push(type.sql.replace("?", next(type.value)));
  if (filters.createdGte !== undefined) conditions.push(`created_at >= ${next(filters.createdGte)}`);
  if (afterSeq === null) {
    if (filters.createdLt !== undefined) conditions.push(`created_at < ${next(filters.createdLt)}`);
  } else {
    // Below the cursor's event in (created_at, seq): its instant found by primary key is the
    // range's upper end. `created_lt` stays a check on the rows read, kept off the index (`+`):
    // as the range's end instead, each page would read again every row of the pages before it.
    if (filters.createdLt !== undefined) conditions.push(`+created_at < ${next(filters.createdLt)}`);
    const seq = next(afterSeq);
    const instant = `(SELECT created_at FROM events WHERE seq = ${seq} AND org_id = ?1)`;
    conditions.push(`created_at <= ${instant}`, `(created_at < ${instant} OR seq < ${seq})`);
  }
  const index = indexFor(selection, filters.customerId !== undefined);
  const { results } = await db
    .prepare(
      `SELECT * FROM events INDEXED BY ${index} WHERE ${conditions.join(" AND ")}
       ORDER BY created_at DESC, seq DESC LIMIT ${next(limit)}`,
    )
    .bind(...params)
    .all<EventRow>();
  return results;
}

export async function findEvent(db: Db, orgId: string, id: string): Promise<EventRow | null> {
  return db.prepare("SELECT * FROM events WHERE org_id = ?1 AND id = ?2").bind(orgId, id).first<EventRow>();
}

/**
 * Retention: deletes up to `limit` of the oldest events created before `cutoff`, and every
 * delivery of them, in one batch. Returns how many events went.
 */
export async function deleteEventsCreatedBefore(db: Db, cutoff: string, limit: number): Promise<number> {
  const oldest = "SELECT id FROM events WHERE created_at < ?1 ORDER BY created_at LIMIT ?2";
  const events = db.prepare(`DELETE FROM events WHERE id IN (${oldest})`).bind(cutoff, limit);
  const written = await runBatch(db, [
    db.prepare(`DELETE FROM event_deliveries WHERE event_id IN (${oldest})`).bind(cutoff, limit),
    events,
  ]);
  return changesOf(written, events);
}
