/**
 * The statements every per-customer table (addresses, subscriptions, payment methods) shares:
 * each row carries `org_id` and `customer_id`, and rowid is its insertion order.
 */
type CustomerRecordTable = "addresses" | "subscriptions" | "payment_methods";

/**
 * SQL condition: the customer (its org and id as the given parameters) is live. Every write under
 * a customer carries it, so an archive that lands between a lookup and the write leaves no orphan.
 */
export const customerIsLive = (org = "?1", id = "?2") =>
  `EXISTS (SELECT 1 FROM customers WHERE org_id = ${org} AND id = ${id} AND archived_at IS NULL)`;

/**
 * SQL condition for the archive batch's cascade statements (?1 org, ?2 customer, ?3 the
 * archive's timestamp): they act only if that archive committed.
 */
export const ARCHIVE_COMMITTED = "EXISTS (SELECT 1 FROM customers WHERE org_id = ?1 AND id = ?2 AND archived_at = ?3)";

export function customerRecords<Row>(table: CustomerRecordTable) {
  return {
    /** One customer's rows, in insertion order. */
    async list(db: D1Database, orgId: string, customerId: string): Promise<Row[]> {
      const { results } = await db
        .prepare(`SELECT * FROM ${table} WHERE org_id = ?1 AND customer_id = ?2 ORDER BY rowid`)
        .bind(orgId, customerId)
        .all<Row>();
      return results;
    },

    async find(db: D1Database, orgId: string, customerId: string, id: string): Promise<Row | null> {
      return db
        .prepare(`SELECT * FROM ${table} WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3`)
        .bind(orgId, customerId, id)
        .first<Row>();
    },

    /**
     * The rows of many customers in one statement, for `expand`: the ids travel as one JSON
     * parameter, so it has two bound parameters whatever their count. Grouped by the caller.
     */
    ofCustomersStatement(db: D1Database, orgId: string, customerIds: string[]): D1PreparedStatement {
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
    deleteOnArchiveStatement(
      db: D1Database,
      orgId: string,
      customerId: string,
      archivedAt: string,
    ): D1PreparedStatement {
      return db
        .prepare(`DELETE FROM ${table} WHERE org_id = ?1 AND customer_id = ?2 AND ${ARCHIVE_COMMITTED}`)
        .bind(orgId, customerId, archivedAt);
    },
  };
}
