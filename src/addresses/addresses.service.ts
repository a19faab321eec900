import { requireLiveCustomer } from "../customer-records/customer-records.repository";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import { addressNotFound } from "./addresses.errors";
import { toAddressObject } from "./addresses.object";
import * as repo from "./addresses.repository";

/** The changes that would alter the stored address; empty when the PATCH changes nothing. */
function effectiveChanges(row: repo.AddressRow, sent: repo.AddressChanges): repo.AddressChanges {
  const current = toAddressObject(row);
  return Object.fromEntries(
    Object.entries(sent).filter(
      ([field, value]) => value !== undefined && current[field as keyof repo.AddressChanges] !== value,
    ),
  ) as repo.AddressChanges;
}

/**
 * PATCH of an address under a live customer: only the fields that would change are written, so
 * a PATCH that changes nothing writes nothing (`updated_at` stays).
 */
export async function update(
  db: Db,
  orgId: string,
  customerId: string,
  addressId: string,
  sent: repo.AddressChanges,
): Promise<repo.AddressRow> {
  await requireLiveCustomer(db, orgId, customerId);
  const row = await repo.findAddress(db, orgId, customerId, addressId);
  if (!row) throw addressNotFound();
  const changes = effectiveChanges(row, sent);
  if (Object.keys(changes).length === 0) return row;
  const updated = await repo.updateAddress(db, orgId, customerId, addressId, changes, nowIso());
  // Deleted (or its customer archived) since it was read.
  if (!updated) throw addressNotFound();
  return updated;
}
