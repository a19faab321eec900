import { type CustomerRow, findCustomerById } from "../customers/customers.repository";
import { ApiError } from "./errors";

/**
 * The live customer a sub-resource route (`/v1/customers/{id}/…`) belongs to. Unknown,
 * another organization's and archived customers are all `404 customer_not_found` here
 * (spec §4): an archived customer's addresses and payment methods are gone, and a 410 would
 * invite writes that cannot succeed.
 */
export async function requireLiveCustomer(db: D1Database, orgId: string, customerId: string): Promise<CustomerRow> {
  const row = await findCustomerById(db, orgId, customerId);
  if (!row || row.archived_at !== null) throw customerNotFound();
  return row;
}

/** Also what a sub-resource write answers when its own guard found the customer gone. */
export const customerNotFound = () =>
  new ApiError("customer_not_found", "No live customer with this id in this organization.");
