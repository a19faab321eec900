import { deleteAddressesOnArchiveStatement } from "../addresses/addresses.repository";
import { archiveCommittedGuard, redactCustomerEventsStatement } from "../events/events.repository";
import { REDACTED_FIELDS, redactKeptResponsesStatement } from "../idempotency/idempotency.repository";
import type { Db } from "../lib/db";
import { deletePaymentMethodsOnArchiveStatement } from "../payment-methods/payment-methods.repository";
import { cancelSubscriptionsOnArchiveStatement } from "../subscriptions/subscriptions.repository";

/**
 * Everything archiving a customer does besides erasing its PII, as statements that run in
 * the archive's own atomic batch. Each is guarded by `archivedAt` (the archive's timestamp),
 * so it acts only when that archive committed.
 */
export function archiveCascadeStatements(
  db: Db,
  orgId: string,
  customerId: string,
  archivedAt: string,
): D1PreparedStatement[] {
  return [
    cancelSubscriptionsOnArchiveStatement(db, orgId, customerId, archivedAt),
    deleteAddressesOnArchiveStatement(db, orgId, customerId, archivedAt),
    deletePaymentMethodsOnArchiveStatement(db, orgId, customerId, archivedAt),
    // Kept Idempotency-Key responses about the customer lose its PII in the same step.
    redactKeptResponsesStatement(db, orgId, customerId, archivedAt),
    // So do the stored events about it (and with them every delivery not yet sent: a delivery
    // reads its event when it is sent).
    redactCustomerEventsStatement(
      db,
      orgId,
      customerId,
      REDACTED_FIELDS,
      archiveCommittedGuard(orgId, customerId, archivedAt),
    ),
  ];
}
