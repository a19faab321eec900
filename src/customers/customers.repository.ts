import {
  type CustomerProfile,
  type CustomerRow,
  PII_COLUMNS,
  PROFILE_COLUMNS,
  storedValues,
} from "../customer-records/customer-columns";
import type { Db } from "../lib/db";
import { StorageUnavailable, violatedUniqueIndex } from "../lib/storage-errors";

export type UniqueField = "id" | "alternative_id" | "email" | "username";

/** A write refused by one of the unique indexes. */
export class UniqueViolation extends Error {
  constructor(readonly field: UniqueField) {
    super(`unique violation on ${field}`);
  }
}

/**
 * Each unique index on customers (migrations/0002_create_customers.sql) as SQLite names it in
 * "UNIQUE constraint failed: …" (the columns of an index on columns, `index '<name>'` of one
 * on an expression), and the field it protects.
 */
const UNIQUE_INDEX_FIELDS: Record<string, UniqueField> = {
  // customers_org_id
  "customers.org_id, customers.id": "id",
  // customers_live_alternative_id
  "customers.org_id, customers.alternative_id": "alternative_id",
  "index 'customers_live_email'": "email",
  "index 'customers_live_username'": "username",
};

/** Runs a write; a unique-index failure becomes a UniqueViolation naming the field. */
async function guardUnique<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const index = violatedUniqueIndex(error);
    const field = index === null ? undefined : UNIQUE_INDEX_FIELDS[index];
    if (field) throw new UniqueViolation(field);
    throw error;
  }
}

const INSERT_COLUMNS = ["org_id", "id", ...PROFILE_COLUMNS, "created_at", "updated_at", "last_event_at"];
const INSERT_SQL = `INSERT INTO customers (${INSERT_COLUMNS.join(", ")})
  VALUES (${INSERT_COLUMNS.map((_, index) => `?${index + 1}`).join(", ")}) RETURNING *`;

/** `lastEventAt`: when the webhook event that creates the customer happened at its source. */
export function insertStatement(
  db: Db,
  orgId: string,
  id: string,
  profile: CustomerProfile,
  now: string,
  lastEventAt: string | null = null,
): D1PreparedStatement {
  return db.prepare(INSERT_SQL).bind(orgId, id, ...storedValues(profile), now, now, lastEventAt);
}

export async function insert(
  db: Db,
  orgId: string,
  id: string,
  profile: CustomerProfile,
  now: string,
  lastEventAt: string | null = null,
): Promise<CustomerRow> {
  const statement = insertStatement(db, orgId, id, profile, now, lastEventAt);
  const row = await guardUnique(() => statement.first<CustomerRow>());
  if (!row) throw new StorageUnavailable("INSERT … RETURNING returned no row");
  return row;
}

/**
 * A customer write (`insertStatement` or `updateProfileStatement`, each RETURNING the row) and
 * the statements that must commit with it (a provision's subscription), as one atomic batch.
 * `row` is null when an update found the customer changed; a unique-index failure (nothing
 * committed) is a UniqueViolation.
 */
export async function writeTogether(
  db: Db,
  write: D1PreparedStatement,
  together: D1PreparedStatement[],
): Promise<{ row: CustomerRow | null; together: D1Result[] }> {
  const [written, ...rest] = await guardUnique(() => db.batch([write, ...together]));
  return { row: (written?.results[0] as CustomerRow | undefined) ?? null, together: rest };
}

/** The customer with this id, archived or not. */
export async function findById(db: Db, orgId: string, id: string): Promise<CustomerRow | null> {
  return db.prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2").bind(orgId, id).first<CustomerRow>();
}

export async function findLiveByAlternativeId(
  db: Db,
  orgId: string,
  alternativeId: string,
): Promise<CustomerRow | null> {
  return db
    .prepare("SELECT * FROM customers WHERE org_id = ?1 AND alternative_id = ?2 AND archived_at IS NULL")
    .bind(orgId, alternativeId)
    .first<CustomerRow>();
}

const SET_PROFILE = PROFILE_COLUMNS.map((column, index) => `${column} = ?${index + 1}`).join(", ");
const AFTER_PROFILE = PROFILE_COLUMNS.length;

/**
 * Writes a new profile if the row is still at `expectedVersion` (optimistic concurrency).
 * Returns the updated row, or null when the customer changed (or was archived) meanwhile.
 * `lastEventAt` (webhook events) replaces the stored one when given.
 */
export function updateProfileStatement(
  db: Db,
  orgId: string,
  seq: number,
  expectedVersion: number,
  profile: CustomerProfile,
  now: string,
  lastEventAt: string | null = null,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET ${SET_PROFILE}, version = version + 1, updated_at = ?${AFTER_PROFILE + 1},
         last_event_at = coalesce(?${AFTER_PROFILE + 5}, last_event_at)
       WHERE org_id = ?${AFTER_PROFILE + 2} AND seq = ?${AFTER_PROFILE + 3} AND version = ?${AFTER_PROFILE + 4}
         AND archived_at IS NULL
       RETURNING *`,
    )
    .bind(...storedValues(profile), now, orgId, seq, expectedVersion, lastEventAt);
}

export async function updateProfile(
  db: Db,
  orgId: string,
  seq: number,
  expectedVersion: number,
  profile: CustomerProfile,
  now: string,
  lastEventAt: string | null = null,
): Promise<CustomerRow | null> {
  const statement = updateProfileStatement(db, orgId, seq, expectedVersion, profile, now, lastEventAt);
  return guardUnique(() => statement.first<CustomerRow>());
}

const ERASE_PII = PII_COLUMNS.map((column) => `${column} = NULL`).join(", ");

/**
 * Archives a live customer in one atomic batch: PII erased, archived_at set, the keyed hash
 * of its alternative ID kept, has_payment_method cleared (the cascade deletes them), and the
 * cascade statements run (each guarded by `now`).
 * Returns the archived row, or null if it was not live at `expectedVersion`.
 */
export async function markArchived(
  db: Db,
  orgId: string,
  seq: number,
  expectedVersion: number,
  now: string,
  alternativeIdHash: string | null,
  cascade: D1PreparedStatement[],
): Promise<CustomerRow | null> {
  const [archived] = await db.batch<CustomerRow>([
    db
      .prepare(
        `UPDATE customers SET ${ERASE_PII}, archived_at = ?1, updated_at = ?1, version = version + 1,
           has_payment_method = 0,
           archived_alternative_id_hash = coalesce(?5, archived_alternative_id_hash)
         WHERE org_id = ?2 AND seq = ?3 AND version = ?4 AND archived_at IS NULL
         RETURNING *`,
      )
      .bind(now, orgId, seq, expectedVersion, alternativeIdHash),
    ...cascade,
  ]);
  return archived?.results[0] ?? null;
}

/** An archived customer whose alternative ID had this keyed hash, if any. */
export async function findArchivedByAlternativeIdHash(
  db: Db,
  orgId: string,
  alternativeIdHash: string,
): Promise<CustomerRow | null> {
  return db
    .prepare(`SELECT * FROM customers WHERE org_id = ?1 AND archived_alternative_id_hash = ?2
         AND archived_at IS NOT NULL LIMIT 1`)
    .bind(orgId, alternativeIdHash)
    .first<CustomerRow>();
}

/**
 * Brings an archived customer back, PII still empty, and forgets the keyed hash of its old
 * alternative ID: it is live again, so webhook events are no longer refused for that ID.
 * Null if it was not archived.
 */
export async function markUnarchived(db: Db, orgId: string, seq: number, now: string): Promise<CustomerRow | null> {
  return db
    .prepare(
      `UPDATE customers SET archived_at = NULL, archived_alternative_id_hash = NULL, updated_at = ?1,
         version = version + 1
       WHERE org_id = ?2 AND seq = ?3 AND archived_at IS NOT NULL
       RETURNING *`,
    )
    .bind(now, orgId, seq)
    .first<CustomerRow>();
}

export type CustomerListFilters = {
  email?: string;
  alternativeId?: string;
  createdGte?: string;
  createdLt?: string;
};

/**
 * One keyset page of live customers, newest first by seq. Only the filters present become
 * SQL, so each query shape keeps its index (never OFFSET: a deep page costs what the first does).
 */
export async function listLive(
  db: Db,
  orgId: string,
  filters: CustomerListFilters,
  beforeSeq: number | null,
  limit: number,
): Promise<CustomerRow[]> {
  const where = ["org_id = ?", "archived_at IS NULL"];
  const params: (string | number)[] = [orgId];
  if (beforeSeq !== null) {
    where.push("seq < ?");
    params.push(beforeSeq);
  }
  if (filters.email !== undefined) {
    where.push("email IS NOT NULL", "lower(email) = lower(?)");
    params.push(filters.email);
  }
  if (filters.alternativeId !== undefined) {
    where.push("alternative_id IS NOT NULL", "alternative_id = ?");
    params.push(filters.alternativeId);
  }
  if (filters.createdGte !== undefined) {
    where.push("created_at >= ?");
    params.push(filters.createdGte);
  }
  if (filters.createdLt !== undefined) {
    where.push("created_at < ?");
    params.push(filters.createdLt);
  }
  params.push(limit);
  const { results } = await db
    .prepare(`SELECT * FROM customers WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`)
    .bind(...params)
    .all<CustomerRow>();
  return results;
}

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

/** The profile columns a unique index covers (each a UNIQUE_INDEX_FIELDS field besides the id). */
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
