import { customerIsLive, customerRecords } from "../customer-records/customer-records.repository";
import type { Db } from "../lib/db";
import { newId } from "../lib/ids";

/** An addresses row as D1 returns it. */
export type AddressRow = {
  id: string;
  org_id: string;
  customer_id: string;
  type: "billing" | "shipping";
  line1: string;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string;
  is_default: number;
  created_at: string;
  updated_at: string;
};

export type NewAddress = {
  type: "billing" | "shipping";
  line1: string;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string;
  is_default: boolean;
};

/** A PATCH: only the columns present change. */
export type AddressChanges = Partial<NewAddress>;

/** The columns a PATCH may set; changes are written only through this list, never by caller-named columns. */
const CHANGEABLE_COLUMNS = [
  "type",
  "line1",
  "line2",
  "city",
  "state",
  "postal_code",
  "country",
  "is_default",
] as const satisfies readonly (keyof NewAddress)[];

const LIVE_CUSTOMER = customerIsLive();

const addressRecords = customerRecords<AddressRow>("addresses");
export const listAddresses = addressRecords.list;
export const findAddress = addressRecords.find;
export const addressesOfCustomersStatement = addressRecords.ofCustomersStatement;
export const deleteAddressesOnArchiveStatement = addressRecords.deleteOnArchiveStatement;

const toSql = (value: string | boolean | null) => (typeof value === "boolean" ? (value ? 1 : 0) : value);

/**
 * Adds an address; a new default clears the old default of its type in the same batch.
 * The insert lands only while the customer is live (an archive that commits between the
 * caller's lookup and this batch would otherwise leave an orphan); null when it did not.
 */
export async function insertAddress(
  db: Db,
  orgId: string,
  customerId: string,
  address: NewAddress,
  now: string,
): Promise<AddressRow | null> {
  const statements: D1PreparedStatement[] = [];
  if (address.is_default) {
    statements.push(
      db
        .prepare(
          `UPDATE addresses SET is_default = 0, updated_at = ?4
           WHERE org_id = ?1 AND customer_id = ?2 AND type = ?3 AND is_default = 1`,
        )
        .bind(orgId, customerId, address.type, now),
    );
  }
  statements.push(
    db
      .prepare(
        `INSERT INTO addresses (id, org_id, customer_id, type, line1, line2, city, state, postal_code, country,
           is_default, created_at, updated_at)
         SELECT ?3, ?1, ?2, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12
         WHERE ${LIVE_CUSTOMER}
         RETURNING *`,
      )
      .bind(
        orgId,
        customerId,
        newId("adr"),
        address.type,
        address.line1,
        address.line2,
        address.city,
        address.state,
        address.postal_code,
        address.country,
        toSql(address.is_default),
        now,
      ),
  );
  const results = await db.batch<AddressRow>(statements);
  return results.at(-1)?.results[0] ?? null;
}

/**
 * Applies a PATCH in one batch. When the address ends up the default of its type (it was
 * sent `is_default: true`, or it was the default and moves to another type), the other
 * default of that type is cleared first, so the one-default index never sees two. Only the
 * columns sent are written, so concurrent PATCHes of different fields never undo each other.
 * Null when the address does not exist.
 */
export async function updateAddress(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  changes: AddressChanges,
  now: string,
): Promise<AddressRow | null> {
  const columns = CHANGEABLE_COLUMNS.filter((column) => changes[column] !== undefined);
  const assignments = columns.map((column, index) => `${column} = ?${index + 5}`);
  const self = "FROM addresses WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3";
  const [, updated] = await db.batch<AddressRow>([
    db
      .prepare(
        `UPDATE addresses SET is_default = 0, updated_at = ?4
         WHERE org_id = ?1 AND customer_id = ?2 AND id != ?3 AND is_default = 1
           AND type = coalesce(?5, (SELECT type ${self}))
           AND coalesce(?6, (SELECT is_default ${self})) = 1
           AND EXISTS (SELECT 1 ${self})`,
      )
      .bind(orgId, customerId, addressId, now, changes.type ?? null, toSql(changes.is_default ?? null)),
    db
      .prepare(
        `UPDATE addresses SET ${[...assignments, "updated_at = ?4"].join(", ")}
         WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3
         RETURNING *`,
      )
      .bind(orgId, customerId, addressId, now, ...columns.map((column) => toSql(changes[column] ?? null))),
  ]);
  return updated?.results[0] ?? null;
}

/** Deletes the address; false when there was none. A deleted default leaves its type without one. */
export async function deleteAddress(db: Db, orgId: string, customerId: string, addressId: string): Promise<boolean> {
  const deleted = await db
    .prepare("DELETE FROM addresses WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3 RETURNING id")
    .bind(orgId, customerId, addressId)
    .first<{ id: string }>();
  return deleted !== null;
}
