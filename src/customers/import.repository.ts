import { type GatewayLink, LINK_ASSIGNMENTS } from "../customer-records/billing-link.repository";
import { type CustomerProfile, PROFILE_COLUMNS, storedValues } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";

/**
 * The import's SQL (`import.ts`): the lookups it plans from and its set-based writes, a few
 * statements for up to 1,000 items. The one-customer statements are in customers.repository.ts.
 */

/** What an import needs to know before it decides anything, as one batch of SELECTs. */
export function importLookupStatements(
  db: Db,
  orgId: string,
  keys: { ids: string[]; alternativeIds: string[]; emails: string[]; usernames: string[] },
): D1PreparedStatement[] {
  const live = "org_id = ?1 AND archived_at IS NULL";
  const json = JSON.stringify;
  return [
    db
      .prepare("SELECT * FROM customers WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2))")
      .bind(orgId, json(keys.ids)),
    db
      .prepare(`SELECT * FROM customers WHERE ${live} AND alternative_id IN (SELECT value FROM json_each(?2))`)
      .bind(orgId, json(keys.alternativeIds)),
    db
      .prepare(
        `SELECT * FROM customers WHERE ${live} AND email IS NOT NULL AND lower(email) IN (SELECT value FROM json_each(?2))`,
      )
      .bind(orgId, json(keys.emails)),
    db
      .prepare(
        `SELECT * FROM customers WHERE ${live} AND username IS NOT NULL AND lower(username) IN (SELECT value FROM json_each(?2))`,
      )
      .bind(orgId, json(keys.usernames)),
  ];
}

export type ImportInsert = { id: string; profile: CustomerProfile };
/** `held`: the unique values the row holds before the import (restored if its write is skipped). */
export type ImportUpdate = {
  id: string;
  seq: number;
  version: number;
  profile: CustomerProfile;
  held: Pick<CustomerProfile, UniqueProfileColumn>;
};

/** The profile columns a unique index covers (UNIQUE_INDEX_FIELDS in customers.repository.ts, bar the id). */
export const UNIQUE_PROFILE_COLUMNS = ["alternative_id", "email", "username"] as const;
export type UniqueProfileColumn = (typeof UNIQUE_PROFILE_COLUMNS)[number];

function jsonProfile(profile: CustomerProfile) {
  const values = storedValues(profile);
  return Object.fromEntries(PROFILE_COLUMNS.map((column, index) => [column, values[index]]));
}

const fromJson = (alias: string, columns: readonly string[] = PROFILE_COLUMNS, path = "$") =>
  columns.map((column) => `json_extract(${alias}.value, '${path}.${column}')`).join(", ");

/** The updated rows (`?2`), each at the version the import read (the UPDATE names its rows by seq twice: the IN list lets SQLite look them up by primary key instead of walking the organization). */
const UPDATED_ROWS = `FROM json_each(?2) AS item
         WHERE customers.org_id = ?1 AND customers.seq = json_extract(item.value, '$.seq')
           AND customers.seq IN (SELECT json_extract(value, '$.seq') FROM json_each(?2))
           AND customers.version = json_extract(item.value, '$.version') AND customers.archived_at IS NULL`;

/**
 * The import's customer writes, set-based (2–3 bound parameters each, whatever the item
 * count), in the order of one atomic batch:
 * 1. `release`: the rows to update let go of their unique values (alternative ID, email,
 *    username), so that an item can take a value an earlier item freed: SQLite checks unique
 *    indexes row by row, in an order the items do not decide, and the planner only vouches for
 *    the final state.
 * 2. `insert`, 3. `update`: the final state. OR IGNORE makes each row its own unit: a row that a
 *    concurrent write made conflict is skipped rather than failing the batch, and RETURNING
 *    says which rows landed.
 * 4. `restore`: a row whose update was skipped gets its unique values back, so nothing is
 *    half-written. Not OR IGNORE: if another row took them meanwhile, the whole batch fails
 *    (503, nothing written) rather than leave the row without them.
 * The caller may add statements to the same batch (the subscriptions, and more).
 */
export function importWriteStatements(
  db: Db,
  orgId: string,
  inserts: ImportInsert[],
  updates: ImportUpdate[],
  now: string,
): {
  release: D1PreparedStatement;
  insert: D1PreparedStatement;
  update: D1PreparedStatement;
  restore: D1PreparedStatement;
} {
  const insertRows = JSON.stringify(inserts.map(({ id, profile }) => ({ id, ...jsonProfile(profile) })));
  const updateRows = JSON.stringify(
    updates.map(({ seq, version, profile, held }) => ({ seq, version, held, ...jsonProfile(profile) })),
  );
  const unique = UNIQUE_PROFILE_COLUMNS.join(", ");
  return {
    release: db
      .prepare(
        `UPDATE customers SET ${UNIQUE_PROFILE_COLUMNS.map((column) => `${column} = NULL`).join(", ")}
         ${UPDATED_ROWS}`,
      )
      .bind(orgId, updateRows),
    insert: db
      .prepare(
        `INSERT OR IGNORE INTO customers (org_id, id, ${PROFILE_COLUMNS.join(", ")}, created_at, updated_at)
         SELECT ?1, json_extract(item.value, '$.id'), ${fromJson("item")}, ?3, ?3
         FROM json_each(?2) AS item ORDER BY item.key
         RETURNING id`,
      )
      .bind(orgId, insertRows, now),
    update: db
      .prepare(
        `UPDATE OR IGNORE customers SET (${PROFILE_COLUMNS.join(", ")}) = (${fromJson("item")}),
           version = customers.version + 1, updated_at = ?3
         ${UPDATED_ROWS}
         RETURNING customers.id`,
      )
      .bind(orgId, updateRows, now),
    restore: db
      .prepare(
        `UPDATE customers SET (${unique}) = (${fromJson("item", UNIQUE_PROFILE_COLUMNS, "$.held")})
         ${UPDATED_ROWS}`,
      )
      .bind(orgId, updateRows),
  };
}

/**
 * The link a gateway option sets on a customer this import wrote (spec section 11), as
 * `customerRowAfter` computes it: acts only on the row the import's write left (its version,
 * `updated_at` = the import's time), so it lands exactly when that write did, and keeps the
 * version the write's events carry.
 */
export function importLinkStatement(
  db: Db,
  orgId: string,
  customerId: string,
  link: GatewayLink,
  version: number,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET ${LINK_ASSIGNMENTS}
       WHERE org_id = ?1 AND id = ?2 AND version = ?7 AND updated_at = ?6 AND archived_at IS NULL`,
    )
    .bind(orgId, customerId, link.gateway, link.gatewayId, link.reference, now, version);
}

/** Event guard (SqlGuard): the customer is live at the version and time the import's write leaves. */
export const importWrittenGuard = (orgId: string, customerId: string, version: number, now: string) => ({
  sql: `EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND version = ? AND updated_at = ?
    AND archived_at IS NULL)`,
  params: [orgId, customerId, version, now],
});
