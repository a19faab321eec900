import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { filtersKey, pageBody, readPage } from "../lib/pages";
import { toEventObject } from "./events.object";
import { type EventListFilters, findEvent, listEvents } from "./events-reading.repository";

export type EventListQuery = {
  limit?: number;
  cursor?: string;
  type?: string;
  customer_id?: string;
  created_gte?: string;
  created_lt?: string;
};

const toUtc = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

export async function listEventsPage(db: Db, orgId: string, query: EventListQuery) {
  const prefix = query.type?.endsWith(".*") ? query.type.slice(0, -1) : undefined;
  const filters: EventListFilters = {
    type: prefix === undefined ? query.type : undefined,
    typePrefix: prefix,
    customerId: query.customer_id,
    createdGte: toUtc(query.created_gte),
    createdLt: toUtc(query.created_lt),
  };
  const key = filtersKey([
    "events",
    filters.type,
    filters.typePrefix,
    filters.customerId,
    filters.createdGte,
    filters.createdLt,
  ]);
  const { limit, rows } = await readPage(query, key, (beforeSeq, count) =>
    listEvents(db, orgId, filters, beforeSeq, count),
  );
  return pageBody(rows, limit, key, toEventObject);
}

export async function getEvent(db: Db, orgId: string, id: string) {
  const row = await findEvent(db, orgId, id);
  if (!row) throw new ApiError("not_found", "No event with this id in this organization (events are kept 30 days).");
  return toEventObject(row);
}
