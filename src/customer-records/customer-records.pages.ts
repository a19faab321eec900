import { encodeCursor } from "../lib/cursor";
import type { Db } from "../lib/db";
import { filtersKey, pageBodyBy, readPage } from "../lib/pages";
import type { PageQuery } from "./customer-records.params";
import { requireLiveCustomer } from "./customer-records.repository";

/** A `customerRecords(table).list`: rows after a position, each with its own position. */
type PagedRows<Row> = (
  db: Db,
  orgId: string,
  customerId: string,
  afterPosition: number | null,
  limit: number,
) => Promise<{ position: number; row: Row }[]>;

/**
 * One page of a live customer's records (`GET /v1/customers/{id}/<records>`), as the list
 * body. A cursor holds the last position served and is valid only for the list it came from
 * (these records of this customer): anything else is a 400 on `#/query/cursor`. Records are
 * listed oldest first, so records created while a caller walks the pages come last and none
 * is served twice or skipped.
 */
export async function listPage<Row, O>(
  db: Db,
  orgId: string,
  customerId: string,
  records: { name: string; list: PagedRows<Row>; toObject: (row: Row) => O },
  query: PageQuery,
) {
  await requireLiveCustomer(db, orgId, customerId);
  const scope = filtersKey([records.name, customerId]);
  const { limit, rows } = await readPage(query, scope, (after, count) =>
    records.list(db, orgId, customerId, after, count),
  );
  return pageBodyBy(
    rows,
    limit,
    (last) => encodeCursor(last.position, scope),
    ({ row }) => records.toObject(row),
  );
}
