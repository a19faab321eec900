import { listPage } from "../customer-records/customer-records.pages";
import {
  customerNotFound,
  recordInsertedGuard,
  recordUnchangedGuard,
  requireLiveCustomer,
} from "../customer-records/customer-records.repository";
import { eventsRecordedGuard, type RecordedEvents, recordEventStatements } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import { runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import { toSubscriptionObject } from "./subscriptions.object";
import * as repo from "./subscriptions.repository";

/**
 * Subscription changes with their events (spec section 10), each event in the change's own
 * batch: `subscription.created` after the insert (the fresh id exists exactly when it landed),
 * `subscription.canceled` before the cancel (guarded by the subscription as read, which the
 * cancel also requires).
 */

export const subscriptionNotFound = () => new ApiError("not_found", "This customer has no subscription with this id.");

export type { SubscriptionRow } from "./subscriptions.repository";

const subscriptions = { name: "subscriptions", list: repo.listSubscriptions, toObject: toSubscriptionObject };

/** A page of a live customer's subscriptions (404 for an unknown or archived customer). */
export const list = (db: Db, orgId: string, customerId: string, query: Parameters<typeof listPage>[4]) =>
  listPage(db, orgId, customerId, subscriptions, query);

/** One subscription of a live customer. */
export async function get(db: Db, orgId: string, customerId: string, subscriptionId: string) {
  await requireLiveCustomer(db, orgId, customerId);
  const row = await repo.findSubscription(db, orgId, customerId, subscriptionId);
  if (!row) throw subscriptionNotFound();
  return row;
}

/**
 * `POST …/subscriptions`: `create` under a live customer, as an answer: 404 when the customer
 * is unknown or archived, 409 `subscription_exists` naming the active one for this plan and
 * resource. No lookup first: the insert writes only under a live customer.
 */
export async function createForCustomer(
  db: Db,
  orgId: string,
  customerId: string,
  subscription: repo.NewSubscription,
  events: EventsOutbox,
  keep: KeepAnswer<repo.SubscriptionRow>,
): Promise<repo.SubscriptionRow> {
  const outcome = await create(db, orgId, customerId, subscription, events, null, keep);
  if (outcome.status === "customer_gone") throw customerNotFound();
  if (outcome.status === "exists") {
    const existing = outcome.row;
    throw new ApiError(
      "subscription_exists",
      `The customer already has active subscription '${existing.id}' for this plan_id and resource_id.`,
      { extensions: { subscription_id: existing.id } },
    );
  }
  return outcome.row;
}

/**
 * The statements that create an active subscription (`repo.createSubscriptionStatements`,
 * read with `repo.readCreated`) and its `subscription.created`, which must follow them in the
 * same batch. For a caller that puts them in its own batch (provision, after its customer write).
 */
export function createStatements(
  deps: { db: Db; orgId: string; events: EventsOutbox },
  customerId: string,
  subscription: repo.NewSubscription,
  now: string,
  customerVersion: number | null,
): { statements: repo.CreateSubscriptionStatements; event: RecordedEvents; row: repo.SubscriptionRow } {
  const { db, orgId, events } = deps;
  const id = newId("sub");
  const row = repo.newSubscriptionRow(orgId, customerId, id, subscription, now);
  const event = recordEventStatements(db, {
    orgId,
    customerId,
    type: "subscription.created",
    object: toSubscriptionObject(row),
    requestId: events.requestId,
    createdAt: now,
    guard: recordInsertedGuard("subscriptions", orgId, id),
  });
  return {
    statements: repo.createSubscriptionStatements(db, orgId, customerId, subscription, now, customerVersion, id),
    event,
    row,
  };
}

/**
 * Creates an active subscription unless one for the same plan and resource exists (reported,
 * not reused), only while the customer is live (and at `customerVersion`, when given).
 */
export async function create(
  db: Db,
  orgId: string,
  customerId: string,
  subscription: repo.NewSubscription,
  events: EventsOutbox,
  customerVersion: number | null = null,
  keep: KeepAnswer<repo.SubscriptionRow> = keepNothing,
): Promise<repo.CreateSubscriptionOutcome> {
  const now = nowIso();
  const created = createStatements({ db, orgId, events }, customerId, subscription, now, customerVersion);
  const { event } = created;
  const kept = keep(created.row, eventsRecordedGuard(orgId, event.eventIds));
  const { insert, active } = created.statements;
  const written = await runBatch(db, [insert, active, ...event.statements, ...kept]);
  const outcome = repo.readCreated(written, created.statements);
  if (outcome.status === "created") events.committed(orgId, [event], written.statements, written.results);
  return outcome;
}

/**
 * Cancels the subscription of a live customer if it is active and returns it as it now is; a
 * canceled one is returned unchanged (cancelling is idempotent, and records no event).
 */
export async function cancel(
  db: Db,
  orgId: string,
  customerId: string,
  subscriptionId: string,
  events: EventsOutbox,
  keep: KeepAnswer<repo.SubscriptionRow> = keepNothing,
): Promise<repo.SubscriptionRow> {
  await requireLiveCustomer(db, orgId, customerId);
  return retryWhileChanging({ record: "subscription", change: "cancel" }, async () => {
    const row = await repo.findSubscription(db, orgId, customerId, subscriptionId);
    if (!row) throw subscriptionNotFound();
    if (row.status !== "active") return row;
    const now = nowIso();
    const guard = recordUnchangedGuard("subscriptions", row);
    const canceled: repo.SubscriptionRow = {
      ...row,
      status: "canceled",
      cancel_reason: repo.CANCELED_BY_REQUEST,
      canceled_at: now,
    };
    const event = recordEventStatements(db, {
      orgId,
      customerId,
      type: "subscription.canceled",
      object: toSubscriptionObject(canceled),
      requestId: events.requestId,
      createdAt: now,
      guard,
    });
    const outcome = await repo.cancelSubscription(db, orgId, customerId, subscriptionId, now, {
      before: event.statements,
      guard,
      after: keep(canceled, eventsRecordedGuard(orgId, event.eventIds)),
    });
    if (outcome.canceled) events.committed(orgId, [event], outcome.statements, outcome.results);
    if (outcome.row && (outcome.canceled || outcome.row.status !== "active")) return outcome.row;
    if (!outcome.row) throw subscriptionNotFound();
    return GO_ROUND;
  });
}
