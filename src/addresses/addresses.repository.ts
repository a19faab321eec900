import { type AddressRow, CHANGEABLE_ADDRESS_COLUMNS, type NewAddress } from "../customer-records/address-columns";
import { customerIsLive, customerRecords } from "../customer-records/customer-records.repository";
import { changesOf, firstRowOf, runBatch, type WrittenBatch, type WrittenRow } from "../lib/batch";
import type { Db } from "../lib/db";

// The row and new-address types, and the columns a PATCH may set, come from the column table.
export type { AddressRow, NewAddress };

/** A PATCH: only the columns present change. */
export type AddressChanges = Partial<NewAddress>;

const LIVE_CUSTOMER = customerIsLive();

const addressRecords = customerRecords<AddressRow>("addresses");
export const listAddresses = addressRecords.list;
export const findAddress = addressRecords.find;
export const addressesOfCustomersStatement = addressRecords.ofCustomersStatement;
export const deleteAddressesOnArchiveStatement = addressRecords.deleteOnArchiveStatement;

const toSql = (value: string | boolean | null) => (typeof value === "boolean" ? (value ? 1 : 0) : value);

/** The row `insertAddress` inserts, as D1 will return it. */
export function newAddressRow(
  orgId: string,
  customerId: string,
  id: string,
  address: NewAddress,
  now: string,
): AddressRow {
  return {
    id,
    org_id: orgId,
    customer_id: customerId,
    ...address,
    is_default: address.is_default ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Adds an address under `id`, with `after` (its event) in the same batch; a new default clears
 * the old default of its type in that batch. The insert lands only while the customer is live
 * (an archive that commits between the caller's lookup and this batch would otherwise leave an
 * orphan); `row` is null when it did not.
 */
export async function insertAddress(
  db: Db,
  orgId: string,
  customerId: string,
  id: string,
  address: NewAddress,
  now: string,
  after: D1PreparedStatement[],
): Promise<WrittenRow<AddressRow>> {
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
  const insert = db
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
      id,
      address.type,
      address.line1,
      address.line2,
      address.city,
      address.state,
      address.postal_code,
      address.country,
      toSql(address.is_default),
      now,
    );
  const written = await runBatch(db, [...statements, insert, ...after]);
  return { ...written, row: firstRowOf<AddressRow>(written, insert) };
}

/** An event guard, or any condition with anonymous `?` placeholders and its values. */
type Guard = { sql: string; params: unknown[] };

/**
 * Applies a PATCH in one batch, after `before` (its event), if `guard` (the address as it was
 * read) still holds. When the address ends up the default of its type (it was sent
 * `is_default: true`, or it was the default and moves to another type), the other default of
 * that type is cleared first, so the one-default index never sees two. `row` is null when
 * the guard did not hold (changed or deleted meanwhile).
 */
export async function updateAddress(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  changes: AddressChanges,
  now: string,
  together: { before: D1PreparedStatement[]; guard: Guard; after?: D1PreparedStatement[] },
): Promise<WrittenRow<AddressRow>> {
  const { guard } = together;
  const after = together.after ?? [];
  const columns = CHANGEABLE_ADDRESS_COLUMNS.filter((column) => changes[column] !== undefined);
  const assignments = columns.map((column, index) => `${column} = ?${index + 5}`);
  const self = "FROM addresses WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3";
  const update = db
    .prepare(
      `UPDATE addresses SET ${[...assignments, "updated_at = ?4"].join(", ")}
       WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3 AND ${guard.sql}
       RETURNING *`,
    )
    .bind(
      orgId,
      customerId,
      addressId,
      now,
      ...columns.map((column) => toSql(changes[column] ?? null)),
      ...guard.params,
    );
  const statements = [
    ...together.before,
    db
      .prepare(
        `UPDATE addresses SET is_default = 0, updated_at = ?4
         WHERE org_id = ?1 AND customer_id = ?2 AND id != ?3 AND is_default = 1
           AND type = coalesce(?5, (SELECT type ${self}))
           AND coalesce(?6, (SELECT is_default ${self})) = 1
           AND EXISTS (SELECT 1 ${self}) AND ${guard.sql}`,
      )
      .bind(
        orgId,
        customerId,
        addressId,
        now,
        changes.type ?? null,
        toSql(changes.is_default ?? null),
        ...guard.params,
      ),
    update,
    ...after,
  ];
  const written = await runBatch(db, statements);
  return { ...written, row: firstRowOf<AddressRow>(written, update) };
}

/**
 * Deletes the address, after `before` (its event), if `guard` (the address as it was read)
 * still holds; `deleted` is false when it did not. A deleted default leaves its type without one.
 */
export async function deleteAddress(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  together: { before: D1PreparedStatement[]; guard: Guard; after?: D1PreparedStatement[] },
): Promise<WrittenBatch & { deleted: boolean }> {
  const remove = db
    .prepare(`DELETE FROM addresses WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3 AND ${together.guard.sql}`)
    .bind(orgId, customerId, addressId, ...together.guard.params);
  const written = await runBatch(db, [...together.before, remove, ...(together.after ?? [])]);
  return { ...written, deleted: changesOf(written, remove) > 0 };
}
