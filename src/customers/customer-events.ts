import type { GatewayLink } from "../customer-records/billing-link.repository";
import {
  type BillingColumns,
  billingColumnsOf,
  type CustomerProfile,
  type CustomerRow,
  ERASED_PII,
  NO_BILLING,
  PROFILE_COLUMNS,
  profileOf,
  SYNCED_PROFILE_COLUMNS,
  storedProfile,
} from "../customer-records/customer-columns";
import { indexCustomerStatements } from "../customer-search/search-index.repository";
import type { EventType } from "../events/event-types";
import {
  bothGuards,
  customerEventSequenceGuard,
  eventsRecordedGuard,
  type RecordedEvents,
  type RecordedSeries,
  recordCreationEventStatements,
  recordEventSeriesStatements,
  recordEventStatements,
  type SeriesEvent,
  type SqlGuard,
} from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { toCustomerObject } from "./customers.object";
import * as repo from "./customers.repository";
import type { CustomerObject } from "./customers.schemas";

/**
 * The events of customer changes (spec section 10): what each carries, computed before the
 * write from the row it was read at (the write is guarded by that row's version, so the
 * object after it is known exactly), and recorded in the write's own batch.
 */

/** What a write's gateway options change on the customer beside its profile (customers/gateway-request.ts). */
export type GatewayEffect = { link: GatewayLink | null; addsPaymentMethods: boolean };

export const NO_GATEWAY_EFFECT: GatewayEffect = { link: null, addsPaymentMethods: false };

/**
 * The row a write of `profile` at `now` leaves: on top of `row` (its version bumped), or a new
 * customer `id` in `orgId`. The write is guarded by the version it was read at, so this is the
 * row exactly; events and kept Idempotency-Key answers are built from it before the write.
 */
export function customerRowAfter(
  orgId: string,
  row: CustomerRow | null,
  id: string,
  profile: CustomerProfile,
  now: string,
  gateway: GatewayEffect = NO_GATEWAY_EFFECT,
): CustomerRow {
  const link = gateway.link;
  return {
    seq: row?.seq ?? 0,
    org_id: orgId,
    id,
    has_payment_method: gateway.addsPaymentMethods ? 1 : (row?.has_payment_method ?? 0),
    version: (row?.version ?? 0) + 1,
    created_at: row?.created_at ?? now,
    updated_at: now,
    archived_at: row?.archived_at ?? null,
    last_event_at: row?.last_event_at ?? null,
    archived_alternative_id_hash: row?.archived_alternative_id_hash ?? null,
    ...billingAfter(row, profile, link, now),
    ...storedProfile(profile),
  };
}

/**
 * The billing columns a profile write leaves (as customers.repository's UPDATE computes them):
 * a link the write sets is synced as of now; a change to a mirrored field of a linked customer
 * marks its sync pending, due now.
 */
function billingAfter(
  row: CustomerRow | null,
  profile: CustomerProfile,
  link: GatewayLink | null,
  now: string,
): BillingColumns {
  const before = row === null ? NO_BILLING : billingColumnsOf(row);
  if (link !== null) {
    return {
      billing_gateway: link.gateway,
      billing_gateway_id: link.gatewayId,
      billing_customer_reference: link.reference,
      billing_sync_status: "synced",
      billing_synced_at: now,
      billing_sync_generation: before.billing_sync_generation + 1,
      billing_sync_due_at: null,
      billing_sync_attempts: 0,
    };
  }
  const old = row === null ? null : profileOf(row);
  const mirroredChange = old !== null && SYNCED_PROFILE_COLUMNS.some((column) => old[column] !== profile[column]);
  if (before.billing_customer_reference === null || !mirroredChange) return before;
  return {
    ...before,
    billing_sync_status: "pending",
    billing_sync_due_at: now,
    billing_sync_attempts: 0,
    billing_sync_generation: before.billing_sync_generation + 1,
  };
}

/** What the customer object is once `profile` is written at `now` (on top of `row`, or a new customer). */
export function customerObjectAfter(
  row: CustomerRow | null,
  id: string,
  profile: CustomerProfile,
  now: string,
  gateway: GatewayEffect = NO_GATEWAY_EFFECT,
): CustomerObject {
  return toCustomerObject(customerRowAfter(row?.org_id ?? "", row, id, profile, now, gateway));
}

/**
 * `previous_attributes`: the old value of exactly the profile fields that change. Metadata is
 * one field, so a changed key gives the whole old metadata object (as Stripe does).
 */
export function previousAttributes(before: CustomerProfile, after: CustomerProfile): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const column of PROFILE_COLUMNS) {
    if (JSON.stringify(before[column]) !== JSON.stringify(after[column])) changed[column] = before[column];
  }
  return changed;
}

/** A write's gateway options as statements for its batch (customers/gateway-request.ts builds them). */
export type GatewayStatements = GatewayEffect & {
  guarded: D1PreparedStatement[];
  after: D1PreparedStatement[];
  recorded: RecordedEvents[];
};

export const NO_GATEWAY_STATEMENTS: GatewayStatements = {
  ...NO_GATEWAY_EFFECT,
  guarded: [],
  after: [],
  recorded: [],
};

/** What recording needs of the customers service's deps. */
export type EventDeps = { db: Db; orgId: string; events: EventsOutbox };

/** After a batch with events committed: their deliveries go to the queue (background). */
export const committed = (
  deps: EventDeps,
  recorded: RecordedEvents[],
  written: { statements: D1PreparedStatement[]; results: D1Result[] },
) => deps.events.committed(deps.orgId, recorded, written.statements, written.results);

type CustomerEvent = {
  type: EventType;
  customerId: string;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  guard: SqlGuard;
};

const record = (deps: EventDeps, event: CustomerEvent, createdAt: string): RecordedEvents =>
  recordEventStatements(deps.db, { orgId: deps.orgId, requestId: deps.events.requestId, createdAt, ...event });

/**
 * `customer.created`, after the insert in its batch: the insert either lands or fails the whole
 * batch (a unique index), so the event needs no guard, and takes the sequence the insert starts.
 */
export const createdEvent = (
  deps: EventDeps,
  id: string,
  profile: CustomerProfile,
  now: string,
  gateway: GatewayEffect = NO_GATEWAY_EFFECT,
) =>
  recordCreationEventStatements(deps.db, {
    orgId: deps.orgId,
    requestId: deps.events.requestId,
    createdAt: now,
    type: "customer.created",
    customerId: id,
    object: customerObjectAfter(null, id, profile, now, gateway),
  });

/**
 * `customer.updated` for writing `profile` over `row` at `now`, to go before the write in its
 * batch (guarded by the version the write expects); null when no field changes.
 */
export function updatedEvent(
  deps: EventDeps,
  row: CustomerRow,
  profile: CustomerProfile,
  now: string,
  gateway: GatewayEffect = NO_GATEWAY_EFFECT,
): RecordedEvents | null {
  const previous = previousAttributes(profileOf(row), profile);
  // A new link is a change of the customer object (its `billing`); imported payment methods
  // record their own events, and has_payment_method moves with them (as when one is added).
  if (gateway.link !== null) previous.billing = toCustomerObject(row).billing;
  if (Object.keys(previous).length === 0) return null;
  return record(
    deps,
    {
      type: "customer.updated",
      customerId: row.id,
      object: customerObjectAfter(row, row.id, profile, now, gateway),
      previousAttributes: previous,
      guard: repo.customerAtVersionGuard(deps.orgId, row.id, row.version, false),
    },
    now,
  );
}

/**
 * A profile write at the version `row` was read at, with its `customer.updated` when a field
 * changes (before the write in the batch, guarded by that version: the event exists exactly
 * when the write lands), the search index's statements after it, and the request's kept answer
 * for the row the write leaves. Null when the customer changed meanwhile. A UniqueViolation fails it.
 */
export async function writeProfile(
  deps: EventDeps,
  row: CustomerRow,
  profile: CustomerProfile,
  lastEventAt: string | null = null,
  keep: KeepAnswer<CustomerRow> = keepNothing,
  gateway: GatewayStatements = NO_GATEWAY_STATEMENTS,
  now = nowIso(),
): Promise<CustomerRow | null> {
  const event = updatedEvent(deps, row, profile, now, gateway);
  const recorded = [...(event ? [event] : []), ...gateway.recorded];
  const write = repo.updateProfileStatement(
    deps.db,
    deps.orgId,
    row.seq,
    row.version,
    profile,
    now,
    lastEventAt,
    gateway.link,
  );
  const kept =
    recorded.length > 0
      ? keptWithEvents(keep, customerRowAfter(deps.orgId, row, row.id, profile, now, gateway), deps, recorded)
      : [];
  const written = await repo.writeCustomer(deps.db, write, {
    // Guarded by the version the write expects, so before it: they land exactly when it does.
    before: [...(event?.statements ?? []), ...gateway.guarded],
    // The search index follows the write in its batch.
    after: [
      ...gateway.after,
      ...indexCustomerStatements(deps.db, deps.orgId, row.id, profile, profileOf(row)),
      ...kept,
    ],
  });
  if (written.row) committed(deps, recorded, written);
  return written.row && withImportedFlag(written.row, gateway);
}

/**
 * The row a write RETURNING gave, with has_payment_method as the batch left it: payment methods
 * imported in the same batch set it after the write's own statement.
 */
export const withImportedFlag = (row: CustomerRow, gateway: GatewayEffect): CustomerRow =>
  gateway.addsPaymentMethods ? { ...row, has_payment_method: 1 } : row;

/**
 * The kept-answer statements (lib/kept-answer.ts) for a change that records `recorded`: they act
 * only if all of its events were recorded, that is, exactly when the change landed. They go
 * after the events' statements in the batch.
 */
export function keptWithEvents<R>(
  keep: KeepAnswer<R>,
  predicted: R,
  deps: { orgId: string },
  recorded: RecordedEvents[],
): D1PreparedStatement[] {
  return keep(
    predicted,
    eventsRecordedGuard(
      deps.orgId,
      recorded.flatMap((each) => each.eventIds),
    ),
  );
}

/**
 * The events of archiving `row` at `now`: `cascade` (one per subscription it cancels and per
 * address and payment method it deletes, archive-cascade.ts), then `customer.archived`, so that
 * one has the highest sequence. Its customer is as the archive leaves it: PII erased (so the
 * event carries none), no payment method, archived at `now`. One series (three statements
 * whatever the count): its insert goes before the archive in the batch, guarded by exactly what
 * the archive requires (live at the version read, `event_sequence` as read with the cascade's
 * records), so the events exist exactly when the archive lands.
 */
export function archiveEvents(
  deps: EventDeps,
  row: CustomerRow,
  cascade: { eventSequence: number; events: SeriesEvent[] },
  now: string,
): RecordedSeries {
  const erased = { ...profileOf(row), ...ERASED_PII };
  const archived: SeriesEvent = {
    type: "customer.archived",
    object: {
      ...customerObjectAfter(row, row.id, erased as CustomerProfile, now),
      has_payment_method: false,
      archived: true,
      archived_at: now,
    },
  };
  return recordEventSeriesStatements(deps.db, {
    orgId: deps.orgId,
    customerId: row.id,
    requestId: deps.events.requestId,
    createdAt: now,
    guard: bothGuards(
      repo.customerAtVersionGuard(deps.orgId, row.id, row.version, false),
      customerEventSequenceGuard(deps.orgId, row.id, cascade.eventSequence),
    ),
    events: [...cascade.events, archived],
  });
}

/** `customer.unarchived`, before the unarchive in its batch, guarded by the archived version it expects. */
export const unarchivedEvent = (deps: EventDeps, row: CustomerRow, now: string) =>
  record(
    deps,
    {
      type: "customer.unarchived",
      customerId: row.id,
      object: customerObjectAfter(row, row.id, profileOf(row), now),
      guard: repo.customerAtVersionGuard(deps.orgId, row.id, row.version, true),
    },
    now,
  );
