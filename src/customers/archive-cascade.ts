import { toAddressObject } from "../addresses/addresses.object";
import {
  type AddressRow,
  addressesOfCustomersStatement,
  deleteAddressesOnArchiveStatement,
} from "../addresses/addresses.repository";
import { customerEventSequenceStatement, type SeriesEvent } from "../events/events.repository";
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
import { erasedRecord, erasureStatements } from "./erasure";

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
      object: erasedRecord(toAddressObject(row)),
    })),
    ...cascade.paymentMethods.map((row) => ({
      type: "payment_method.deleted" as const,
      object: erasedRecord(toPaymentMethodObject(row)),
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
    // Every copy of what the archive erases (erasure.ts).
    ...erasureStatements(db, orgId, customerId, archivedAt),
  ];
}
