import { customerIsLive, customerRecords } from "../customer-records/customer-records.repository";
import {
  type NewPaymentMethod,
  PAYMENT_METHOD_COLUMNS,
  type PaymentMethodRow,
  storedPaymentMethodValues,
} from "../customer-records/payment-method-columns";
import { changesOf, firstRowOf, runBatch, type WrittenBatch, type WrittenRow } from "../lib/batch";
import type { Db } from "../lib/db";

export type { NewPaymentMethod, PaymentMethodRow };

/** The insert's column list: every column of `PAYMENT_METHOD_SPEC`, between the ids and created_at. */
export const PAYMENT_METHOD_INSERT_COLUMNS = `id, org_id, customer_id, ${PAYMENT_METHOD_COLUMNS.join(", ")}, created_at`;

/**
 * Keeps customers.has_payment_method equal to "a payment method is on file", in the same
 * batch as the write that may change it. The customer object changes with it, so its
 * version (ETag) and updated_at move too, but only when the flag actually flips.
 */
function syncHasPaymentMethodStatement(db: Db, orgId: string, customerId: string, now: string): D1PreparedStatement {
  const onFile = "EXISTS (SELECT 1 FROM payment_methods WHERE org_id = ?1 AND customer_id = ?2)";
  return db
    .prepare(
      `UPDATE customers SET has_payment_method = ${onFile}, version = version + 1, updated_at = ?3
       WHERE org_id = ?1 AND id = ?2 AND archived_at IS NULL AND has_payment_method != ${onFile}`,
    )
    .bind(orgId, customerId, now);
}

const paymentMethodRecords = customerRecords<PaymentMethodRow>("payment_methods");
export const listPaymentMethods = paymentMethodRecords.list;
export const findPaymentMethod = paymentMethodRecords.find;
export const paymentMethodsOfCustomersStatement = paymentMethodRecords.ofCustomersStatement;
export const deletePaymentMethodsOnArchiveStatement = paymentMethodRecords.deleteOnArchiveStatement;

/** The row `insertPaymentMethod` inserts, as D1 will return it. */
export function newPaymentMethodRow(
  orgId: string,
  customerId: string,
  id: string,
  paymentMethod: NewPaymentMethod,
  now: string,
): PaymentMethodRow {
  const stored = storedPaymentMethodValues(paymentMethod);
  const columns = Object.fromEntries(PAYMENT_METHOD_COLUMNS.map((column, index) => [column, stored[index]]));
  return { id, org_id: orgId, customer_id: customerId, ...columns, created_at: now } as PaymentMethodRow;
}

/**
 * Adds a payment method under `id`, clearing the previous default when this one is the new
 * default, and updates the customer's has_payment_method, all in one batch with `after` (its
 * event). The insert lands only while the customer is live; `row` is null when it did not.
 */
export async function insertPaymentMethod(
  db: Db,
  orgId: string,
  customerId: string,
  id: string,
  paymentMethod: NewPaymentMethod,
  now: string,
  after: D1PreparedStatement[],
): Promise<WrittenRow<PaymentMethodRow>> {
  const clearDefault = db
    .prepare("UPDATE payment_methods SET is_default = 0 WHERE org_id = ?1 AND customer_id = ?2 AND is_default = 1")
    .bind(orgId, customerId);
  const values = storedPaymentMethodValues(paymentMethod);
  // ?1 org, ?2 customer, ?3 id, then the spec's columns, then created_at.
  const placeholders = values.map((_, index) => `?${index + 4}`).join(", ");
  const insert = db
    .prepare(
      `INSERT INTO payment_methods (${PAYMENT_METHOD_INSERT_COLUMNS})
       SELECT ?3, ?1, ?2, ${placeholders}, ?${values.length + 4}
       WHERE ${customerIsLive()}
       RETURNING *`,
    )
    .bind(orgId, customerId, id, ...values, now);
  const writes = paymentMethod.is_default ? [clearDefault, insert] : [insert];
  const written = await runBatch(db, [...writes, syncHasPaymentMethodStatement(db, orgId, customerId, now), ...after]);
  return { ...written, row: firstRowOf<PaymentMethodRow>(written, insert) };
}

/**
 * Deletes the payment method, after `before` (its event), if `guard` (the payment method as it
 * was read: SQL with anonymous `?` and its values) still holds, and updates has_payment_method,
 * in one batch; `deleted` is false when it did not. A deleted default leaves the customer
 * without one (none is promoted).
 */
export async function deletePaymentMethod(
  db: Db,
  orgId: string,
  customerId: string,
  paymentMethodId: string,
  now: string,
  together: { before: D1PreparedStatement[]; guard: { sql: string; params: unknown[] }; after?: D1PreparedStatement[] },
): Promise<WrittenBatch & { deleted: boolean }> {
  const remove = db
    .prepare(`DELETE FROM payment_methods WHERE org_id = ?1 AND customer_id = ?2 AND id = ?3 AND ${together.guard.sql}`)
    .bind(orgId, customerId, paymentMethodId, ...together.guard.params);
  const written = await runBatch(db, [
    ...together.before,
    remove,
    syncHasPaymentMethodStatement(db, orgId, customerId, now),
    ...(together.after ?? []),
  ]);
  return { ...written, deleted: changesOf(written, remove) > 0 };
}
