import { type AddressInput, newAddressFrom } from "../customer-records/address-columns";
import { markSyncNeededStatement } from "../customer-records/billing-link.repository";
import { listPage } from "../customer-records/customer-records.pages";
import {
  customerNotFound,
  recordInsertedGuard,
  recordUnchangedGuard,
  requireLiveCustomer,
} from "../customer-records/customer-records.repository";
import { eventsRecordedGuard, type NewEvent, recordEventStatements, type SqlGuard } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import { addressNotFound } from "./addresses.errors";
import { toAddressObject } from "./addresses.object";
import * as repo from "./addresses.repository";
import type { AddressObject } from "./addresses.schemas";

/** The changes that would alter the stored address; empty when the PATCH changes nothing. */
function effectiveChanges(row: repo.AddressRow, sent: repo.AddressChanges): repo.AddressChanges {
  const current = toAddressObject(row);
  return Object.fromEntries(
    Object.entries(sent).filter(
      ([field, value]) => value !== undefined && current[field as keyof repo.AddressChanges] !== value,
    ),
  ) as repo.AddressChanges;
}

const recordAddressEvent = (
  db: Db,
  orgId: string,
  events: EventsOutbox,
  event: Pick<NewEvent, "type" | "object" | "previousAttributes" | "guard"> & { row: repo.AddressRow; now: string },
) =>
  recordEventStatements(db, {
    orgId,
    customerId: event.row.customer_id,
    type: event.type,
    object: event.object,
    previousAttributes: event.previousAttributes,
    requestId: events.requestId,
    createdAt: event.now,
    guard: event.guard,
  });

/**
 * A linked customer's gateway customer mirrors its default billing address (spec section 11):
 * a change to, from or of that address marks the customer's sync pending in the change's own
 * batch, acting only if the change landed (customer-records/billing-link.repository.ts).
 */
function gatewaySyncMark(
  db: Db,
  orgId: string,
  customerId: string,
  now: string,
  landed: SqlGuard,
  ...states: { type: string; is_default: number | boolean }[]
): D1PreparedStatement[] {
  const mirrored = states.some((state) => state.type === "billing" && Boolean(state.is_default));
  return mirrored ? [markSyncNeededStatement(db, orgId, customerId, now, landed)] : [];
}

/**
 * Adds an address with its `address.created` (after the insert: the fresh id exists exactly
 * when it landed). Null when the customer is not live. Clearing the previous default of its
 * type is part of this change, not an event of its own.
 */
const addresses = { name: "addresses", list: repo.listAddresses, toObject: toAddressObject };

/** A page of a live customer's addresses (404 for an unknown or archived customer). */
export const list = (db: Db, orgId: string, customerId: string, query: Parameters<typeof listPage>[4]) =>
  listPage(db, orgId, customerId, addresses, query);

export async function create(
  db: Db,
  orgId: string,
  customerId: string,
  input: AddressInput,
  events: EventsOutbox,
  keep: KeepAnswer<AddressObject> = keepNothing,
): Promise<repo.AddressRow> {
  // Every column left out takes its default from the column table (`type` billing, …).
  const address = newAddressFrom(input);
  const id = newId("adr");
  const now = nowIso();
  const row = repo.newAddressRow(orgId, customerId, id, address, now);
  const event = recordAddressEvent(db, orgId, events, {
    type: "address.created",
    object: toAddressObject(row),
    guard: recordInsertedGuard("addresses", orgId, id),
    row,
    now,
  });
  const landed = eventsRecordedGuard(orgId, event.eventIds);
  const kept = keep(toAddressObject(row), landed);
  const written = await repo.insertAddress(db, orgId, customerId, id, address, now, [
    ...event.statements,
    ...gatewaySyncMark(db, orgId, customerId, now, landed, row),
    ...kept,
  ]);
  // No lookup first: the insert writes only under a live customer of this organization.
  if (!written.row) throw customerNotFound();
  events.committed(orgId, [event], written.statements, written.results);
  return written.row;
}

/**
 * PATCH of an address under a live customer: only the fields that would change are written, so
 * a PATCH that changes nothing writes nothing (`updated_at` stays) and records no event. The
 * write and its `address.updated` (previous_attributes: the old values of the fields that
 * change) are guarded by the address as read; a concurrent change sends it round again.
 */
export async function update(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  sent: repo.AddressChanges,
  events: EventsOutbox,
  keep: KeepAnswer<AddressObject> = keepNothing,
): Promise<repo.AddressRow> {
  await requireLiveCustomer(db, orgId, customerId);
  return retryWhileChanging({ record: "address", change: "update" }, async () => {
    const row = await repo.findAddress(db, orgId, customerId, addressId);
    // Deleted (or its customer archived) since it was read.
    if (!row) throw addressNotFound();
    const changes = effectiveChanges(row, sent);
    if (Object.keys(changes).length === 0) return row;
    const now = nowIso();
    const before = toAddressObject(row);
    const after = { ...before, ...changes, updated_at: now };
    const guard = recordUnchangedGuard("addresses", row);
    const event = recordAddressEvent(db, orgId, events, {
      type: "address.updated",
      object: after,
      previousAttributes: Object.fromEntries(
        Object.keys(changes).map((field) => [field, before[field as keyof repo.AddressChanges]]),
      ),
      guard,
      row,
      now,
    });
    const landed = eventsRecordedGuard(orgId, event.eventIds);
    const written = await repo.updateAddress(db, orgId, customerId, addressId, changes, now, {
      before: event.statements,
      guard,
      after: [...gatewaySyncMark(db, orgId, customerId, now, landed, row, after), ...keep(after, landed)],
    });
    if (written.row) {
      events.committed(orgId, [event], written.statements, written.results);
      return written.row;
    }
    return GO_ROUND;
  });
}

/** Deletes the address with its `address.deleted` (the address as it was), guarded like `update`. */
export async function remove(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  events: EventsOutbox,
  keep: KeepAnswer<string> = keepNothing,
): Promise<void> {
  await requireLiveCustomer(db, orgId, customerId);
  return retryWhileChanging({ record: "address", change: "delete" }, async () => {
    const row = await repo.findAddress(db, orgId, customerId, addressId);
    if (!row) throw addressNotFound();
    const guard = recordUnchangedGuard("addresses", row);
    const now = nowIso();
    const event = recordAddressEvent(db, orgId, events, {
      type: "address.deleted",
      object: toAddressObject(row),
      guard,
      row,
      now,
    });
    const landed = eventsRecordedGuard(orgId, event.eventIds);
    const written = await repo.deleteAddress(db, orgId, customerId, addressId, {
      before: event.statements,
      guard,
      after: [...gatewaySyncMark(db, orgId, customerId, now, landed, row), ...keep(addressId, landed)],
    });
    if (written.deleted) {
      events.committed(orgId, [event], written.statements, written.results);
      return;
    }
    return GO_ROUND;
  });
}
