import { backfillSearchIndex } from "./customer-search/backfill";
import { syncDueCustomers } from "./customers/gateway-sync";
import { resendOverdueDeliveries, sweepEvents } from "./event-deliveries";
import { eventsOutbox } from "./event-deliveries/outbox";
import { purgeDeletedDestinations } from "./event-destinations/cleanup";
import { purgeExpiredIdempotencyKeys } from "./idempotency/cleanup";
import { primarySession } from "./lib/db";
import { describeError, logError, logInfo } from "./lib/logger";
import { resolvePendingCharges } from "./money";
import { resealGatewayKeys } from "./payment-gateway/payment-gateway.service";
import { cleanUpWebhooks } from "./webhooks/cleanup";

/** wrangler.toml's frequent trigger: only the charge resolver runs on it. */
export const RESOLVER_CRON = "*/5 * * * *";

type Cleanup = () => Promise<unknown>;

/**
 * The every-minute Cron ([triggers] in wrangler.toml): re-sends deliveries whose queue message
 * was lost, and syncs linked customers whose gateway sync is due (customers/gateway-sync.ts).
 */
export const DELIVERY_SWEEP_CRON = "* * * * *";

/**
 * The Cron Triggers ([triggers] in wrangler.toml). Every minute: re-send overdue deliveries (a
 * queue message lost with a crash waits at most ~3 minutes). Every 30 minutes: storage housekeeping.
 * Each cleanup deletes what is past its retention at the scheduled time, batch after batch,
 * until none is left or its time budget (lib/batched-purge.ts, 10 s per table) is spent; the
 * logged result carries the backlog it left (counts only). Add a cleanup as one more entry.
 */
export async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const now = new Date(controller.scheduledTime);
  // Its own session, on the primary: it deletes, and decides what to delete from the latest state.
  const db = primarySession(env.DB);
  if (controller.cron === DELIVERY_SWEEP_CRON) {
    await runEach({
      deliveries: () => resendOverdueDeliveries(db, env.EVENT_DELIVERIES, now),
      gateway_syncs: () => syncDueCustomers(db, env, now),
    });
    return;
  }
  if (controller.cron === RESOLVER_CRON) {
    await runEach({ pending_charges: () => resolveCharges(db, env, now) });
    return;
  }
  await runEach({
    idempotency_keys: () => purgeExpiredIdempotencyKeys(db, now),
    webhooks: () => cleanUpWebhooks(db, now),
    events: () => sweepEvents(db, env.EVENT_DELIVERIES, now),
    // The deliveries a destination's DELETE leaves behind (event-destinations/cleanup.ts).
    deleted_destinations: () => purgeDeletedDestinations(db),
    // Not a cleanup: indexes, once, the customers that predate search (customer-search/backfill.ts).
    search_backfill: () => backfillSearchIndex(db, now),
    gateway_keys: () => resealGatewayKeys(db, env),
  });
}

/**
 * Pending charges (src/money/resolver.ts), with an events outbox whose queue sends are awaited
 * before the run ends (a lost send is re-sent by the events sweep anyway).
 */
async function resolveCharges(db: ReturnType<typeof primarySession>, env: Env, now: Date) {
  const sends: Promise<unknown>[] = [];
  const outbox = eventsOutbox(env, null, (task) => {
    sends.push(
      task.catch((error: unknown) => logError("queueing event deliveries failed", { error: describeError(error) })),
    );
  });
  const run = await resolvePendingCharges(db, env, outbox, now);
  await Promise.all(sends);
  return run;
}

/** Runs every cleanup even when one fails, then fails the run so the failure shows in the Cron logs. */
async function runEach(cleanups: Record<string, Cleanup>): Promise<void> {
  const failed: string[] = [];
  for (const [name, cleanup] of Object.entries(cleanups)) {
    try {
      const result = await cleanup();
      logInfo("scheduled cleanup", { cleanup: name, result: JSON.stringify(result) });
    } catch (error) {
      failed.push(name);
      logError("scheduled cleanup failed", {
        cleanup: name,
        error: describeError(error),
      });
    }
  }
  if (failed.length > 0) throw new Error(`scheduled cleanup failed: ${failed.join(", ")}`);
}
