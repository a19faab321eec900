import {
  defaultBillingAddress,
  dueSyncs,
  findForSync,
  linkOf,
  recordSyncResult,
} from "../customer-records/billing-link.repository";
import type { CustomerRow } from "../customer-records/customer-columns";
import { retryDelayAfter } from "../event-deliveries/schedule";
import type { Db } from "../lib/db";
import { describeError, logError } from "../lib/logger";
import { mirroredFields } from "../payment-gateway/customer-link.service";
import { GatewayRejected } from "../payment-gateway/gateway";
import { type GatewayFactory, type GatewaySettings, openGatewayById } from "../payment-gateway/payment-gateway.service";

/**
 * The background sync of linked customers (spec section 11): a change to name, email, phone,
 * language or the default billing address marks the customer's sync pending, due now, in the
 * change's own batch (customers.repository's profile UPDATE, `markSyncNeededStatement` for
 * addresses), so a crash cannot lose it. Then:
 *
 * - right after the answer, the request's background tries once (`syncSoon`);
 * - the every-minute Cron (`syncDueCustomers`) takes whatever is due: a first attempt that did
 *   not run or failed, and retries on the event deliveries' schedule (5 s, 5 min, 30 min, 2 h,
 *   5 h, 10 h, 10 h; event-deliveries/schedule.ts).
 *
 * A sync pushes the customer's current values (not the change), so any number of changes
 * collapse into one push, and a repeated push is harmless. It records its result only if no
 * change marked another sync meanwhile (`billing_sync_generation`), which then stays due.
 * The gateway refusing the values (`GatewayRejected`: e.g. a phone Stripe finds too long) is
 * `failed` at once, not retried: the same values would be refused again; the next change tries
 * again. An archived customer is never synced (archiving clears what is due).
 */

export type SyncResult = "synced" | "retrying" | "failed" | "skipped";

/** The gateway idempotency key of one sync: one per change that needed it (its generation). */
const syncKey = (row: CustomerRow) => `roster-customer-sync-${row.org_id}-${row.id}-${row.billing_sync_generation}`;

/** One attempt for a customer whose sync is due (read at `row`). */
export async function syncCustomer(
  db: Db,
  settings: GatewaySettings,
  row: CustomerRow,
  now: Date,
  adapters?: GatewayFactory,
): Promise<SyncResult> {
  const link = linkOf(row);
  if (link === null || row.billing_sync_due_at === null || row.archived_at !== null) return "skipped";
  const attempts = row.billing_sync_attempts + 1;
  try {
    const opened = await openGatewayById(db, settings, row.org_id, link.gatewayId, adapters);
    // The organization's gateway changed since the link was made: its gateway customer is not
    // reachable through the new one; the link shows `failed` until a new one is made.
    if (!opened)
      throw new GatewayRejected("The organization's payment gateway changed since this link was made.", null);
    const address = await defaultBillingAddress(db, row.org_id, row.id);
    await opened.gateway.updateCustomer(link.reference, mirroredFields(row, address), syncKey(row));
  } catch (error) {
    const refused = error instanceof GatewayRejected;
    const delay = refused ? null : retryDelayAfter(attempts);
    logError("syncing a customer to its gateway customer failed", {
      org_id: row.org_id,
      customer_id: row.id,
      attempt: attempts,
      retry_in_s: delay,
      error: describeError(error),
    });
    const nextDueAt = delay === null ? null : new Date(now.getTime() + delay * 1000).toISOString();
    await recordSyncResult(db, row, { synced: false, attempts, nextDueAt });
    return nextDueAt === null ? "failed" : "retrying";
  }
  await recordSyncResult(db, row, { synced: true, now: now.toISOString() });
  return "synced";
}

/** The first attempt right after a change that marked the sync (the request's background work). */
export async function syncSoon(
  db: Db,
  settings: GatewaySettings,
  orgId: string,
  customerId: string,
  adapters?: GatewayFactory,
): Promise<SyncResult> {
  const row = await findForSync(db, orgId, customerId);
  if (row === null || row.billing_sync_status !== "pending") return "skipped";
  return syncCustomer(db, settings, row, new Date(), adapters);
}

/** Whether a customer a write returned has a sync due now (so the request tries it after answering). */
export const syncIsDue = (row: CustomerRow) =>
  row.billing_sync_status === "pending" && row.billing_sync_due_at !== null;

const SYNCS_PER_RUN = 50;

/** The Cron: every customer whose sync is due, a bounded number per run, oldest first. */
export async function syncDueCustomers(
  db: Db,
  settings: GatewaySettings,
  now: Date,
  adapters?: GatewayFactory,
): Promise<Record<SyncResult, number>> {
  const run: Record<SyncResult, number> = { synced: 0, retrying: 0, failed: 0, skipped: 0 };
  for (const row of await dueSyncs(db, now.toISOString(), SYNCS_PER_RUN)) {
    try {
      run[await syncCustomer(db, settings, row, now, adapters)]++;
    } catch (error) {
      // D1 failed while recording: still due, the next run tries again.
      run.retrying++;
      logError("recording a customer sync failed; the next run tries again", {
        customer_id: row.id,
        error: describeError(error),
      });
    }
  }
  return run;
}
