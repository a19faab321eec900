import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";

/**
 * What every record that lives under a customer (addresses, subscriptions, payment methods,
 * and kept Idempotency-Key responses about it) shares: the live-customer guard and the SQL
 * conditions that tie a write to the customer's state, plus the queries every per-customer
 * table has alike (each row carries `org_id` and `customer_id`; rowid is its insertion order).
 * It depends on lib/ only, so each of those resources, and the customers resource, can use it
 * without depending on each other.
 */
type CustomerRecordTable = "addresses" | "subscriptions" | "payment_methods";

/**
 * SQL condition: the customer (its org and id as the given parameters) is live. Every write under
 * a customer carries it, so an archive that lands between a lookup and the write leaves no orphan.
 */
export const customerIsLive = (org = "?1", id = "?2") =>
  `EXISTS (SELECT 1 FROM customers WHERE org_id = ${org} AND id = ${id} AND archived_at IS NULL)`;

/** `customerIsLive` as an event guard (SQL with anonymous `?` and its values). */
export const customerIsLiveGuard = (orgId: string, customerId: string) => ({
  sql: customerIsLive("?", "?"),
  params: [orgId, customerId],
});

/**
 * SQL condition for the archive batch's cascade statements (?1 org, ?2 customer, ?3 the
 * archive's timestamp): they act only if that archive committed.
 */
export const ARCHIVE_COMMITTED = "EXISTS (SELECT 1 FROM customers WHERE org_id = ?1 AND id = ?2 AND archived_at = ?3)";

/** What a sub-resource route answers for a customer that is unknown, another organization's or archived. */
export const customerNotFound = () =>
  new ApiError("customer_not_found", "No live customer with this id in this organization.");

/**
 * The guard of a sub-resource route (`/v1/customers/{id}/…`): throws unless the customer is
 * live. Unknown, another organization's and archived customers are all `404
 * customer_not_found` here (README, "The API"): an archived
 * customer's addresses and payment methods are gone, and a 410 would invite writes that cannot
 * succeed.
 */
export async function requireLiveCustomer(db: Db, orgId: string, customerId: string): Promise<void> {
  const live = await db.prepare(`SELECT 1 AS live WHERE ${customerIsLive()}`).bind(orgId, customerId).first();
  if (!live) throw customerNotFound();
}

export function customerRecords<Row>(table: CustomerRecordTable) {
  return {
    /**
     * Up to `limit` of one customer's rows in insertion order, after the one at `afterPosition`
     * (a rowid; keyset, never OFFSET), each with its position for the next page's cursor.
     */
    async list(
      db: Db,
      orgId: string,
      customerId: string,
      afterPosition: number | null,
      limit: number,
    ): Promise<{ position: number; row: Row }[]> {
      const { results } = await db
        .prepare(
          `SELECT rowid AS list_position, * FROM ${table}
           WHERE org_id = ?1 AND customer_id = ?2 AND rowid > ?3 ORDER BY rowid LIMIT ?4`,
        )
        .bind(orgId, customerId, afterPosition ?? -1, limit)
        .all<Row & { list_position: number }>();
      return results.map(({ list_position: position, ...row }) => ({ position, row: row as Row }));
    },

    async find(db: Db, orgId: string, customerId: string, id: string): Promise<Row | null> {
      return db
        .prepare(`SELECT * FROM ${table} WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3`)
        .bind(orgId, customerId, id)
        .first<Row>();
    },

    /**
     * The rows of many customers in one statement, for `expand`: the ids travel as one JSON
     * parameter, so it has two bound parameters whatever their count. Grouped by the caller.
     */
    ofCustomersStatement(db: Db, orgId: string, customerIds: string[]): D1PreparedStatement {
      return db
        .prepare(
          `SELECT * FROM ${table} WHERE org_id = ?1 AND customer_id IN (SELECT value FROM json_each(?2)) ORDER BY rowid`,
        )
        .bind(orgId, JSON.stringify(customerIds));
    },

    /**
     * Part of the archive batch: deletes the customer's rows. Guarded by the archive's own
     * timestamp, so it acts only if that archive committed.
     */
    deleteOnArchiveStatement(db: Db, orgId: string, customerId: string, archivedAt: string): D1PreparedStatement {
      return db
        .prepare(`DELETE FROM ${table} WHERE org_id = ?1 AND customer_id = ?2 AND ${ARCHIVE_COMMITTED}`)
        .bind(orgId, customerId, archivedAt);
    },
  };
}

/**
 * An event guard (the events outbox's SqlGuard shape: SQL with anonymous `?` and its values)
 * for a record a batch inserts under a fresh id: after the insert, it exists exactly when the
 * insert landed.
 */
export const recordInsertedGuard = (table: CustomerRecordTable, orgId: string, id: string) => ({
  sql: `EXISTS (SELECT 1 FROM ${table} WHERE org_id = ? AND id = ?)`,
  params: [orgId, id],
});

const COLUMN_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * An event guard for a change to a record as it was read: the record still holds exactly the
 * values of `row` (every column). Placed before the change in its batch, and the change
 * carrying the same condition, the event exists exactly when the change lands.
 */
export function recordUnchangedGuard(
  table: CustomerRecordTable,
  row: { org_id: string; id: string } & Record<string, unknown>,
): { sql: string; params: unknown[] } {
  const columns = Object.keys(row).filter((column) => column !== "org_id" && column !== "id");
  for (const column of columns) if (!COLUMN_NAME.test(column)) throw new Error(`not a column name: ${column}`);
  return {
    sql: `EXISTS (SELECT 1 FROM ${table} WHERE org_id = ? AND id = ?${columns.map((column) => ` AND ${column} IS ?`).join("")})`,
    params: [row.org_id, row.id, ...columns.map((column) => row[column])],
  };
}
