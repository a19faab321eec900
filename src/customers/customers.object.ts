import { linkOf } from "../customer-records/billing-link.repository";
import { type CustomerRow, profileOf } from "../customer-records/customer-columns";
import { fnv1a } from "../lib/hash";
import type { CustomerObject } from "./customers.schemas";

function billingOf(row: CustomerRow): CustomerObject["billing"] {
  const link = linkOf(row);
  if (link === null) return null;
  return {
    gateway: link.gateway,
    customer_reference: link.reference,
    sync_status: row.billing_sync_status ?? "synced",
    synced_at: row.billing_synced_at,
  };
}

export function toCustomerObject(row: CustomerRow): CustomerObject {
  return {
    object: "customer",
    id: row.id,
    ...profileOf(row),
    has_payment_method: row.has_payment_method === 1,
    billing: billingOf(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A strong ETag: the customer and its version, which every change bumps. */
export const etagOf = (row: CustomerRow) => `"${fnv1a(`${row.org_id}/${row.id}`)}-${row.version}"`;

/** If-Match per RFC 9110: `*` or a list of strong ETags; weak ones never match. */
export function ifMatchSatisfied(header: string | undefined, row: CustomerRow): boolean {
  if (header === undefined) return true;
  const trimmed = header.trim();
  if (trimmed === "*") return true;
  const current = etagOf(row);
  return trimmed.split(",").some((tag) => tag.trim() === current);
}
