import { listPage } from "../customer-records/customer-records.pages";
import {
  customerNotFound,
  recordInsertedGuard,
  recordUnchangedGuard,
  requireLiveCustomer,
} from "../customer-records/customer-records.repository";
import { newPaymentMethodFrom, type PaymentMethodInput } from "../customer-records/payment-method-columns";
import { eventsRecordedGuard, recordEventStatements } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import type { GatewaySettings } from "../payment-gateway/payment-gateway.service";
import { attachWithGateway } from "./gateway-attach";
import { toPaymentMethodObject } from "./payment-methods.object";
import * as repo from "./payment-methods.repository";
import type { PaymentMethodObject } from "./payment-methods.schemas";

/**
 * Payment method changes with their events (spec section 10), each in the change's own batch.
 * The customer's has_payment_method moving with them is part of the same change: no
 * `customer.updated` of its own. So is clearing the previous default.
 */

const paymentMethodNotFound = () => new ApiError("not_found", "This customer has no payment method with this id.");

const paymentMethods = { name: "payment_methods", list: repo.listPaymentMethods, toObject: toPaymentMethodObject };

/** A page of a live customer's payment methods (404 for an unknown or archived customer). */
export const list = (db: Db, orgId: string, customerId: string, query: Parameters<typeof listPage>[4]) =>
  listPage(db, orgId, customerId, paymentMethods, query);

/**
 * Adds the payment method a create's body describes: every column left out takes its default
 * (`PAYMENT_METHOD_SPEC`); with the organization's gateway as its `gateway`, it is checked and
 * attached there first (spec section 11), and the customer's new gateway link lands with it.
 */
export async function add(
  deps: { db: Db; orgId: string; settings: GatewaySettings },
  customerId: string,
  input: PaymentMethodInput,
  events: EventsOutbox,
  keep: KeepAnswer<PaymentMethodObject> = keepNothing,
): Promise<repo.PaymentMethodRow> {
  const id = newId("pm");
  const { paymentMethod, record } = await attachWithGateway(deps, customerId, id, newPaymentMethodFrom(input), input);
  return create(deps.db, deps.orgId, customerId, paymentMethod, events, keep, { id, together: record });
}

/**
 * Adds a payment method (under `id`, when the gateway was already asked about it) with its
 * `payment_method.created` (after the insert: the fresh id exists exactly when it landed).
 * 404 when the customer is not live (no lookup first: the insert writes only under a live
 * customer of this organization).
 */
export async function create(
  db: Db,
  orgId: string,
  customerId: string,
  paymentMethod: repo.NewPaymentMethod,
  events: EventsOutbox,
  keep: KeepAnswer<PaymentMethodObject> = keepNothing,
  { id = newId("pm"), together = [] }: { id?: string; together?: D1PreparedStatement[] } = {},
): Promise<repo.PaymentMethodRow> {
  const now = nowIso();
  const object = toPaymentMethodObject(repo.newPaymentMethodRow(orgId, customerId, id, paymentMethod, now));
  const event = recordEventStatements(db, {
    orgId,
    customerId,
    type: "payment_method.created",
    object,
    requestId: events.requestId,
    createdAt: now,
    guard: recordInsertedGuard("payment_methods", orgId, id),
  });
  const kept = keep(object, eventsRecordedGuard(orgId, event.eventIds));
  // `together`: what the same change records beside it (the customer's new gateway link).
  const written = await repo.insertPaymentMethod(db, orgId, customerId, id, paymentMethod, now, [
    ...event.statements,
    ...together,
    ...kept,
  ]);
  if (!written.row) throw customerNotFound();
  events.committed(orgId, [event], written.statements, written.results);
  return written.row;
}

/**
 * Deletes the payment method with its `payment_method.deleted` (the payment method as it was),
 * both guarded by the payment method as read; a concurrent change sends it round again.
 */
export async function remove(
  db: Db,
  orgId: string,
  customerId: string,
  paymentMethodId: string,
  events: EventsOutbox,
  keep: KeepAnswer<string> = keepNothing,
): Promise<void> {
  await requireLiveCustomer(db, orgId, customerId);
  return retryWhileChanging({ record: "payment method", change: "delete" }, async () => {
    const row = await repo.findPaymentMethod(db, orgId, customerId, paymentMethodId);
    if (!row) throw paymentMethodNotFound();
    const now = nowIso();
    const guard = recordUnchangedGuard("payment_methods", row);
    const event = recordEventStatements(db, {
      orgId,
      customerId,
      type: "payment_method.deleted",
      object: toPaymentMethodObject(row),
      requestId: events.requestId,
      createdAt: now,
      guard,
    });
    const written = await repo.deletePaymentMethod(db, orgId, customerId, paymentMethodId, now, {
      before: event.statements,
      guard,
      after: keep(paymentMethodId, eventsRecordedGuard(orgId, event.eventIds)),
    });
    if (written.deleted) {
      events.committed(orgId, [event], written.statements, written.results);
      return;
    }
    return GO_ROUND;
  });
}
