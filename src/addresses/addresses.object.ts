import type { AddressRow } from "./addresses.repository";
import type { AddressObject } from "./addresses.schemas";

export function toAddressObject(row: AddressRow): AddressObject {
  return {
    object: "address",
    id: row.id,
    customer_id: row.customer_id,
    type: row.type,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    state: row.state,
    postal_code: row.postal_code,
    country: row.country,
    is_default: row.is_default === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
