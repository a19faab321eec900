import {
  type CustomerProfile,
  type CustomerRow,
  PII_COLUMNS,
  PROFILE_COLUMNS,
  profileOf,
} from "../customer-records/customer-columns";
import type { EventType } from "../events/event-types";
import { type RecordedEvents, recordEventStatements, type SqlGuard } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import type { Db } from "../lib/db";
import type { CustomerObject } from "./customers.schemas";

/**
 * The events of customer changes (spec section 10): what each carries, computed before the
 * write from the row it was read at (the write is guarded by that row's version, so the
 * object after it is known exactly), and recorded in the write's own batch.
 */

/** What the customer object is once `profile` is written at `now` (on top of `row`, or a new customer). */
export function customerObjectAfter(
  row: CustomerRow | null,
  id: string,
  profile: CustomerProfile,
  now: string,
): CustomerObject {
  return {
    object: "customer",
    id,
    ...profile,
    has_payment_method: row?.has_payment_method === 1,
    created_at: row?.created_at ?? now,
    updated_at: now,
  };
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

export type CustomerEvent = {
  type: EventType;
  customerId: string;
  object: Record<string, unknown>;
  previousAttributes?: Record<string, unknown>;
  guard: SqlGuard;
};

export function recordCustomerEvent(
  db: Db,
  orgId: string,
  outbox: EventsOutbox,
  event: CustomerEvent,
  createdAt: string,
): RecordedEvents {
  return recordEventStatements(db, { orgId, requestId: outbox.requestId, createdAt, ...event });
}

/** The `customer.updated` of a profile write, or null when the profile does not change. */
export function profileUpdatedEvent(
  row: CustomerRow,
  profile: CustomerProfile,
  now: string,
  guard: SqlGuard,
): CustomerEvent | null {
  const previous = previousAttributes(profileOf(row), profile);
  if (Object.keys(previous).length === 0) return null;
  return {
    type: "customer.updated",
    customerId: row.id,
    object: customerObjectAfter(row, row.id, profile, now),
    previousAttributes: previous,
    guard,
  };
}

/**
 * The customer as the archive leaves it: PII erased (so `customer.archived` carries none), no
 * payment method (the cascade deletes them), archived at `now`.
 */
export function archivedCustomerObject(row: CustomerRow, now: string) {
  const erased = { ...profileOf(row), ...Object.fromEntries(PII_COLUMNS.map((column) => [column, null])) };
  return {
    ...customerObjectAfter(row, row.id, erased, now),
    has_payment_method: false,
    archived: true,
    archived_at: now,
  };
}
