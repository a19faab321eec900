import { recordInsertedGuard } from "../customer-records/customer-records.repository";
import {
  type NewPaymentMethod,
  type PaymentMethodRow,
  storedPaymentMethodValues,
} from "../customer-records/payment-method-columns";
import { type RecordedEvents, recordEventStatements, type SqlGuard } from "../events/events.repository";
import type { Db } from "../lib/db";
import { newId } from "../lib/ids";
import { toPaymentMethodObject } from "./payment-methods.object";
import { newPaymentMethodRow, PAYMENT_METHOD_INSERT_COLUMNS } from "./payment-methods.repository";

/**
 * Payment methods written as part of another change (spec section 11: `import_payment_methods`
 * on a customer write): the statements that insert them, each with its `payment_method.created`,
 * for that change's own batch. They are guarded by `guard` (the change lands), so they land
 * exactly with it; the customer's has_payment_method follows with `flagStatement`.
 */

export type ImportedPaymentMethods = {
  rows: PaymentMethodRow[];
  /** Inserts and events, to go where `guard` holds exactly when the change lands. */
  statements: D1PreparedStatement[];
  recorded: RecordedEvents[];
};

export function importPaymentMethodsStatements(
  db: Db,
  orgId: string,
  customerId: string,
  paymentMethods: NewPaymentMethod[],
  guard: SqlGuard,
  requestId: string | null,
  now: string,
): ImportedPaymentMethods {
  const rows: PaymentMethodRow[] = [];
  const statements: D1PreparedStatement[] = [];
  const recorded: RecordedEvents[] = [];
  if (paymentMethods.some((paymentMethod) => paymentMethod.is_default)) {
    statements.push(
      db
        .prepare(
          `UPDATE payment_methods SET is_default = 0 WHERE org_id = ? AND customer_id = ? AND is_default = 1 AND ${guard.sql}`,
        )
        .bind(orgId, customerId, ...guard.params),
    );
  }
  for (const paymentMethod of paymentMethods) {
    const id = newId("pm");
    const row = newPaymentMethodRow(orgId, customerId, id, paymentMethod, now);
    rows.push(row);
    const values = storedPaymentMethodValues(paymentMethod);
    statements.push(
      db
        .prepare(
          `INSERT INTO payment_methods (${PAYMENT_METHOD_INSERT_COLUMNS})
           SELECT ?, ?, ?, ${values.map(() => "?").join(", ")}, ? WHERE ${guard.sql}`,
        )
        .bind(id, orgId, customerId, ...values, now, ...guard.params),
    );
    const event = recordEventStatements(db, {
      orgId,
      customerId,
      type: "payment_method.created",
      object: toPaymentMethodObject(row),
      requestId,
      createdAt: now,
      guard: recordInsertedGuard("payment_methods", orgId, id),
    });
    recorded.push(event);
    statements.push(...event.statements);
  }
  return { rows, statements, recorded };
}

/**
 * Sets the customer's has_payment_method to "a payment method is on file", without a version of
 * its own: it goes in the batch of a customer write that added them (and moved the version).
 */
export const flagPaymentMethodsStatement = (db: Db, orgId: string, customerId: string): D1PreparedStatement =>
  db
    .prepare(
      `UPDATE customers SET has_payment_method = EXISTS (SELECT 1 FROM payment_methods WHERE org_id = ?1 AND customer_id = ?2)
       WHERE org_id = ?1 AND id = ?2`,
    )
    .bind(orgId, customerId);

/** The gateway references of the customer's payment methods at `gateway` (an import skips those). */
export async function gatewayReferencesOf(db: Db, orgId: string, customerId: string, gateway: string) {
  const { results } = await db
    .prepare("SELECT gateway_reference FROM payment_methods WHERE org_id = ?1 AND customer_id = ?2 AND gateway = ?3")
    .bind(orgId, customerId, gateway)
    .all<{ gateway_reference: string }>();
  return new Set(results.map((row) => row.gateway_reference));
}
