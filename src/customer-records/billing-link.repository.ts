import type { Db } from "../lib/db";
import type { BillingColumns, CustomerRow } from "./customer-columns";

/**
 * A customer's link to its customer at the organization's payment gateway (spec section 11),
 * stored on the customer row (migrations/0022) with the state of the background sync. The
 * profile writes of `customers/` set it and mark the sync in their own UPDATE; the statements
 * here serve the writes that link a customer outside a profile write (a credit, a payment
 * method added with the gateway) and the sync itself.
 */

/** The gateway customer a customer is linked to, at one gateway configuration (`payment_gateways.id`). */
export type GatewayLink = { gateway: "stripe" | "test"; gatewayId: string; reference: string };

/** The link of a row, if it has one. */
export function linkOf(row: BillingColumns): GatewayLink | null {
  if (row.billing_customer_reference === null || row.billing_gateway === null || row.billing_gateway_id === null) {
    return null;
  }
  return { gateway: row.billing_gateway, gatewayId: row.billing_gateway_id, reference: row.billing_customer_reference };
}

/**
 * What linking a customer to a gateway customer sets, written once for every statement that
 * links one: the link, synced as of now. Binds ?3 gateway, ?4 its configuration's id,
 * ?5 the gateway customer's reference, ?6 now.
 */
export const LINK_ASSIGNMENTS = `billing_gateway = ?3, billing_gateway_id = ?4, billing_customer_reference = ?5,
  billing_sync_status = 'synced', billing_synced_at = ?6, billing_sync_due_at = NULL,
  billing_sync_attempts = 0, billing_sync_generation = billing_sync_generation + 1`;

/**
 * Links a live customer to a gateway customer Roster created from its current profile (so it is
 * synced as of now), unless it is already linked to that gateway configuration; the customer
 * object changes with it, so its version (ETag) moves. For a batch of its own or another write's.
 */
export function linkCustomerStatement(
  db: Db,
  orgId: string,
  customerId: string,
  link: GatewayLink,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET ${LINK_ASSIGNMENTS}, version = version + 1
       WHERE org_id = ?1 AND id = ?2 AND archived_at IS NULL AND billing_gateway_id IS NOT ?4`,
    )
    .bind(orgId, customerId, link.gateway, link.gatewayId, link.reference, now);
}

/**
 * Marks a linked customer's sync as needed (a change to what the gateway customer mirrors that
 * is not a profile write: its default billing address), for the batch of that change, after
 * it, acting only if it landed (`landed`: SQL with anonymous `?` and its values).
 */
export function markSyncNeededStatement(
  db: Db,
  orgId: string,
  customerId: string,
  now: string,
  landed: { sql: string; params: unknown[] },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE customers SET billing_sync_status = 'pending', billing_sync_due_at = ?, billing_sync_attempts = 0,
         billing_sync_generation = billing_sync_generation + 1
       WHERE org_id = ? AND id = ? AND archived_at IS NULL AND billing_customer_reference IS NOT NULL AND ${landed.sql}`,
    )
    .bind(now, orgId, customerId, ...landed.params);
}

/** Linked live customers whose sync is due at `now`, oldest first, across organizations (the Cron). */
export async function dueSyncs(db: Db, now: string, limit: number): Promise<CustomerRow[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM customers WHERE billing_sync_due_at IS NOT NULL AND billing_sync_due_at <= ?1
         AND archived_at IS NULL ORDER BY billing_sync_due_at LIMIT ?2`,
    )
    .bind(now, limit)
    .all<CustomerRow>();
  return results;
}

/** One customer, for a sync right after its change. */
export async function findForSync(db: Db, orgId: string, customerId: string): Promise<CustomerRow | null> {
  return db
    .prepare("SELECT * FROM customers WHERE org_id = ?1 AND id = ?2 AND archived_at IS NULL")
    .bind(orgId, customerId)
    .first<CustomerRow>();
}

/** The customer's default billing address, as the gateway customer mirrors it. */
export type SyncedAddress = {
  line1: string;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string;
};

export async function defaultBillingAddress(db: Db, orgId: string, customerId: string): Promise<SyncedAddress | null> {
  return db
    .prepare(
      `SELECT line1, line2, city, state, postal_code, country FROM addresses
       WHERE org_id = ?1 AND customer_id = ?2 AND type = 'billing' AND is_default = 1 LIMIT 1`,
    )
    .bind(orgId, customerId)
    .first<SyncedAddress>();
}

/**
 * Records a sync's result, only if no change marked another sync meanwhile (the generation it
 * read) and the link is the one it pushed to: `synced` (nothing due), or a failure: still
 * `pending` with the next attempt due at `nextDueAt`, or `failed` when none is left (null; a
 * later change marks it again).
 */
export async function recordSyncResult(
  db: Db,
  row: CustomerRow,
  result: { synced: true; now: string } | { synced: false; attempts: number; nextDueAt: string | null },
): Promise<boolean> {
  const statement = result.synced
    ? db
        .prepare(
          `UPDATE customers SET billing_sync_status = 'synced', billing_synced_at = ?4, billing_sync_due_at = NULL,
             billing_sync_attempts = 0
           WHERE org_id = ?1 AND id = ?2 AND billing_sync_generation = ?3 AND billing_customer_reference = ?5`,
        )
        .bind(row.org_id, row.id, row.billing_sync_generation, result.now, row.billing_customer_reference)
    : db
        .prepare(
          `UPDATE customers SET billing_sync_status = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'pending' END,
             billing_sync_due_at = ?4, billing_sync_attempts = ?6
           WHERE org_id = ?1 AND id = ?2 AND billing_sync_generation = ?3 AND billing_customer_reference = ?5`,
        )
        .bind(
          row.org_id,
          row.id,
          row.billing_sync_generation,
          result.nextDueAt,
          row.billing_customer_reference,
          result.attempts,
        );
  const outcome = await statement.run();
  return outcome.meta.changes > 0;
}
