import { toAddressObject } from "../addresses/addresses.object";
import {
  type AddressRow,
  addressesOfCustomersStatement,
  deleteAddressesOnArchiveStatement,
} from "../addresses/addresses.repository";
import { eraseCustomerStatements } from "../customer-search/search-index.repository";
import {
  archiveCommittedGuard,
  customerEventSequenceStatement,
  redactCustomerEventsStatement,
  type SeriesEvent,
} from "../events/events.repository";
import { REDACTED_FIELDS, redactKeptResponsesStatement } from "../idempotency/idempotency.repository";
import { firstRowOf, rowsOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { toPaymentMethodObject } from "../payment-methods/payment-methods.object";
import {
  deletePaymentMethodsOnArchiveStatement,
  type PaymentMethodRow,
  paymentMethodsOfCustomersStatement,
} from "../payment-methods/payment-methods.repository";
import { toSubscriptionObject } from "../subscriptions/subscriptions.object";
import {
  CANCELED_ON_ARCHIVE,
  cancelSubscriptionsOnArchiveStatement,
  type SubscriptionRow,
  subscriptionsOfCustomersStatement,
} from "../subscriptions/subscriptions.repository";

/**
 * What archiving a customer does besides erasing its PII: its active subscriptions canceled, its
 * addresses and payment methods deleted, kept responses and stored events about it redacted, as
 * statements in the archive's own atomic batch, and the events of the records it changes.
 */

/** The records an archive will change, read together with the counter that proves them current. */
export type ArchiveCascade = {
  /** The customer's `event_sequence` when these were read: every change to them moves it. */
  eventSequence: number;
  activeSubscriptions: SubscriptionRow[];
  addresses: AddressRow[];
  paymentMethods: PaymentMethodRow[];
};

/**
 * Reads what archiving the customer would cancel and delete, in one batch (one consistent
 * state), with its event sequence. Null when there is no such customer.
 */
export async function readArchiveCascade(db: Db, orgId: string, customerId: string): Promise<ArchiveCascade | null> {
  const reads = {
    sequence: customerEventSequenceStatement(db, orgId, customerId),
    subscriptions: subscriptionsOfCustomersStatement(db, orgId, [customerId]),
    addresses: addressesOfCustomersStatement(db, orgId, [customerId]),
    paymentMethods: paymentMethodsOfCustomersStatement(db, orgId, [customerId]),
  };
  const batch = await runBatch(db, Object.values(reads));
  const counter = firstRowOf<{ event_sequence: number }>(batch, reads.sequence);
  if (!counter) return null;
  return {
    eventSequence: counter.event_sequence,
    activeSubscriptions: rowsOf<SubscriptionRow>(batch, reads.subscriptions).filter((row) => row.status === "active"),
    addresses: rowsOf<AddressRow>(batch, reads.addresses),
    paymentMethods: rowsOf<PaymentMethodRow>(batch, reads.paymentMethods),
  };
}

/**
 * A deleted record's object as its `*.deleted` event carries it when the archive deletes it:
 * as its GET returned it, with what the archive erases (address lines, city, state, postal
 * code; card brand, last4, expiry, gateway reference: `REDACTED_FIELDS`) null, as it is in every
 * earlier event about the customer once the archive redacted them.
 */
function erased(object: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...object };
  for (const field of REDACTED_FIELDS) if (field in copy) copy[field] = null;
  return copy;
}

/**
 * The events of the archive's cascade, in the order they get their sequences: one
 * `subscription.canceled` per active subscription (as the cancel route records it, with
 * `cancel_reason: "customer_archived"`), then one `address.deleted` per address and one
 * `payment_method.deleted` per payment method, each in the order they were created.
 */
export function cascadeEvents(cascade: ArchiveCascade, archivedAt: string): SeriesEvent[] {
  return [
    ...cascade.activeSubscriptions.map((row) => ({
      type: "subscription.canceled" as const,
      object: toSubscriptionObject({
        ...row,
        status: "canceled",
        cancel_reason: CANCELED_ON_ARCHIVE,
        canceled_at: archivedAt,
      }),
    })),
    ...cascade.addresses.map((row) => ({
      type: "address.deleted" as const,
      object: erased(toAddressObject(row)),
    })),
    ...cascade.paymentMethods.map((row) => ({
      type: "payment_method.deleted" as const,
      object: erased(toPaymentMethodObject(row)),
    })),
  ];
}

/**
 * The archive batch's statements after the archive itself. Each is guarded by `archivedAt`
 * (the archive's timestamp), so it acts only when that archive committed.
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
    // reads its event when it is sent), the erased fields of its addresses and payment methods
    // included.
    redactCustomerEventsStatement(
      db,
      orgId,
      customerId,
      REDACTED_FIELDS,
      archiveCommittedGuard(orgId, customerId, archivedAt),
    ),
    // Every word and metadata value of it leaves the search structures (spec section 12).
    ...eraseCustomerStatements(db, orgId, customerId),
  ];
}
