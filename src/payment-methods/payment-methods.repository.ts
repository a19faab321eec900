import { customerIsLive, customerRecords } from "../customer-records/customer-records.repository";
import { changesOf, firstRowOf, runBatch, type WrittenBatch, type WrittenRow } from "../lib/batch";
import type { Db } from "../lib/db";

/** A payment_methods row as D1 returns it. */
export type PaymentMethodRow = {
  id: string;
  org_id: string;
  customer_id: string;
  gateway: string | null;
  gateway_reference: string;
  brand: string | null;
  last4: string | null;
  exp_month: number | null;
  exp_year: number | null;
  is_default: number;
  created_at: string;
};

export type NewPaymentMethod = {
  gateway: string | null;
  gateway_reference: string;
  brand: string | null;
  last4: string | null;
  exp_month: number | null;
  exp_year: number | null;
  is_default: boolean;
};

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
  return {
    id,
    org_id: orgId,
    customer_id: customerId,
    ...paymentMethod,
    is_default: paymentMethod.is_default ? 1 : 0,
    created_at: now,
  };
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
  const insert = db
    .prepare(
      `INSERT INTO payment_methods (id, org_id, customer_id, gateway, gateway_reference, brand, last4, exp_month,
         exp_year, is_default, created_at)
       SELECT ?3, ?1, ?2, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
       WHERE ${customerIsLive()}
       RETURNING *`,
    )
    .bind(
      orgId,
      customerId,
      id,
      paymentMethod.gateway,
      paymentMethod.gateway_reference,
      paymentMethod.brand,
      paymentMethod.last4,
      paymentMethod.exp_month,
      paymentMethod.exp_year,
      paymentMethod.is_default ? 1 : 0,
      now,
    );
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
