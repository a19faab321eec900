import type { GatewayLink } from "../customer-records/billing-link.repository";
import {
  type CustomerProfile,
  type CustomerRow,
  PII_COLUMNS,
  PROFILE_COLUMNS,
  SYNCED_PROFILE_COLUMNS,
  storedValues,
} from "../customer-records/customer-columns";
import { firstRowOf, runBatch, type WrittenRow } from "../lib/batch";
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
// `event_sequence` starts at 1: the creation is the customer's first change, and its
// `customer.created` (recordCreationEventStatements, same batch) takes that number.
const INSERT_SQL = `INSERT INTO customers (${INSERT_COLUMNS.join(", ")}, event_sequence)
  VALUES (${INSERT_COLUMNS.map((_, index) => `?${index + 1}`).join(", ")}, 1) RETURNING *`;

/** `lastEventAt`: when the webhook event that creates the customer happened at its source. */
export function insertStatement(
  db: Db,
  orgId: string,
  id: string,
  profile: CustomerProfile,
  now: string,
  lastEventAt: string | null = null,
  link: GatewayLink | null = null,
): D1PreparedStatement {
  if (link === null) return db.prepare(INSERT_SQL).bind(orgId, id, ...storedValues(profile), now, now, lastEventAt);
  return db
    .prepare(INSERT_LINKED_SQL)
    .bind(orgId, id, ...storedValues(profile), now, now, lastEventAt, link.gateway, link.gatewayId, link.reference);
}

// A customer created linked to a gateway customer the caller named: synced as of its creation
// (Roster pushes later changes, never overwrites the named customer with what it already had).
const INSERT_LINKED_SQL = `INSERT INTO customers (${INSERT_COLUMNS.join(", ")}, event_sequence, billing_gateway,
    billing_gateway_id, billing_customer_reference, billing_sync_status, billing_synced_at)
  VALUES (${INSERT_COLUMNS.map((_, index) => `?${index + 1}`).join(", ")}, 1, ?${INSERT_COLUMNS.length + 1},
    ?${INSERT_COLUMNS.length + 2}, ?${INSERT_COLUMNS.length + 3}, 'synced', ?${INSERT_COLUMNS.length - 1}) RETURNING *`;

/**
 * A customer write (`insertStatement`, `updateProfileStatement`, … each RETURNING the row) with
 * the statements that must commit with it (`before` it, `after` it), as one atomic batch.
 * `row` is null when the write found the customer changed; a unique-index failure (nothing
 * committed) is a UniqueViolation.
 */
export async function writeCustomer(
  db: Db,
  write: D1PreparedStatement,
  together: { before?: D1PreparedStatement[]; after?: D1PreparedStatement[] },
): Promise<WrittenRow<CustomerRow>> {
  const statements = [...(together.before ?? []), write, ...(together.after ?? [])];
  const written = await guardUnique(() => runBatch(db, statements));
  return { ...written, row: firstRowOf<CustomerRow>(written, write) };
}

/** Like `writeCustomer`, for an insert, which always returns its row. */
export async function insertCustomer(
  db: Db,
  insert: D1PreparedStatement,
  together: { before?: D1PreparedStatement[]; after?: D1PreparedStatement[] },
) {
  const written = await writeCustomer(db, insert, together);
  if (!written.row) throw new StorageUnavailable("INSERT … RETURNING returned no row");
  return { ...written, row: written.row };
}

/**
 * Event guard (SqlGuard): the customer is at `version`, live or archived as said. Evaluated
 * before the write that expects that state (in the same batch), it holds exactly when that
 * write will land: a version names one state, whereas the version after a write could also be
 * a concurrent write's.
 */
export const customerAtVersionGuard = (orgId: string, id: string, version: number, archived: boolean) => ({
  sql: `EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND version = ?
    AND archived_at IS ${archived ? "NOT NULL" : "NULL"})`,
  params: [orgId, id, version],
});

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
 * Writes a new profile if the row is still at `expectedVersion` (optimistic concurrency);
 * RETURNING the updated row, none when the customer changed (or was archived) meanwhile.
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
  link: GatewayLink | null = null,
): D1PreparedStatement {
  const now_ = `?${AFTER_PROFILE + 1}`;
  const linkTo = (n: number) => `?${AFTER_PROFILE + 5 + n}`;
  // SET expressions read the row as it was, so `name IS NOT ?n` compares the old value with the new.
  const syncedFieldChanges = `billing_customer_reference IS NOT NULL AND (${SYNCED_PROFILE_COLUMNS.map(
    (column) => `${column} IS NOT ?${PROFILE_COLUMNS.indexOf(column) + 1}`,
  ).join(" OR ")})`;
  const linking = `${linkTo(3)} IS NOT NULL`;
  return db
    .prepare(
      `UPDATE customers SET ${SET_PROFILE}, version = version + 1, updated_at = ${now_},
         last_event_at = coalesce(?${AFTER_PROFILE + 5}, last_event_at),
         billing_gateway = coalesce(${linkTo(1)}, billing_gateway),
         billing_gateway_id = coalesce(${linkTo(2)}, billing_gateway_id),
         billing_customer_reference = coalesce(${linkTo(3)}, billing_customer_reference),
         billing_sync_status = CASE WHEN ${linking} THEN 'synced' WHEN ${syncedFieldChanges} THEN 'pending'
           ELSE billing_sync_status END,
         billing_synced_at = CASE WHEN ${linking} THEN ${now_} ELSE billing_synced_at END,
         billing_sync_due_at = CASE WHEN ${linking} THEN NULL WHEN ${syncedFieldChanges} THEN ${now_}
           ELSE billing_sync_due_at END,
         billing_sync_attempts = CASE WHEN ${linking} OR ${syncedFieldChanges} THEN 0 ELSE billing_sync_attempts END,
         billing_sync_generation = billing_sync_generation + (${linking} OR ${syncedFieldChanges})
       WHERE org_id = ?${AFTER_PROFILE + 2} AND seq = ?${AFTER_PROFILE + 3} AND version = ?${AFTER_PROFILE + 4}
         AND archived_at IS NULL
       RETURNING *`,
    )
    .bind(
      ...storedValues(profile),
      now,
      orgId,
      seq,
      expectedVersion,
      lastEventAt,
      link?.gateway ?? null,
      link?.gatewayId ?? null,
      link?.reference ?? null,
    );
}

const ERASE_PII = PII_COLUMNS.map((column) => `${column} = NULL`).join(", ");

/**
 * Archives a live customer: PII erased, archived_at set, the keyed hash of its alternative ID
 * kept, has_payment_method cleared (the cascade deletes them), its gateway sync stopped (the
 * gateway customer stays, spec section 11); RETURNING the archived row, none
 * if it was not live at `expectedVersion` (and at `expectedEventSequence`, when given: it moves
 * with every change to the customer's subscriptions, addresses and payment methods, so it proves
 * they are still the set the cascade's events were built from). For `writeCustomer`, with the
 * cascade statements (each guarded by `now`) after it.
 */
export function archiveStatement(
  db: Db,
  orgId: string,
  seq: number,
  expectedVersion: number,
  now: string,
  alternativeIdHash: string | null,
  expectedEventSequence: number | null = null,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET ${ERASE_PII}, archived_at = ?1, updated_at = ?1, version = version + 1,
         has_payment_method = 0, billing_sync_due_at = NULL,
         archived_alternative_id_hash = coalesce(?5, archived_alternative_id_hash)
       WHERE org_id = ?2 AND seq = ?3 AND version = ?4 AND archived_at IS NULL
         AND (?6 IS NULL OR event_sequence = ?6)
       RETURNING *`,
    )
    .bind(now, orgId, seq, expectedVersion, alternativeIdHash, expectedEventSequence);
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
 * Brings an archived customer back, PII still empty, if it is still at `expectedVersion`, and
 * forgets the keyed hash of its old alternative ID: it is live again, so webhook events are no
 * longer refused for that ID. RETURNING the row, none if it was not archived at that version.
 * For `writeCustomer`.
 */
export function markUnarchivedStatement(
  db: Db,
  orgId: string,
  seq: number,
  expectedVersion: number,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET archived_at = NULL, archived_alternative_id_hash = NULL, updated_at = ?1,
         version = version + 1
       WHERE org_id = ?2 AND seq = ?3 AND version = ?4 AND archived_at IS NOT NULL
       RETURNING *`,
    )
    .bind(now, orgId, seq, expectedVersion);
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
