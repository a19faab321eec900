import type { EventsOutbox } from "../events/outbox";
import type { Db } from "../lib/db";
import { describeError, logError } from "../lib/logger";
import { type GatewayFactory, type GatewaySettings, openGatewayById } from "../payment-gateway/payment-gateway.service";
import { ask, nextCheckAt, recordOutcome, refusalAsFailure } from "./charge-outcome";
import * as charges from "./charges.repository";

/**
 * The background resolver (the Cron, every 5 minutes): every pending charge whose check is due
 * is asked about again, with its own idempotency key, through the gateway configuration it was
 * made with, and the outcome is recorded once (`recordOutcome`). This settles charges whose
 * outcome the request could not learn (202) and charges left pending by a Worker that died
 * before, during or after the gateway call: re-sending the same key makes the gateway answer
 * the original result, or charge now if it never received the first send. Nothing here
 * answers a caller: failures are logged and the charge is asked about again later.
 */

const CHARGES_PER_RUN = 50;

/** A gateway configuration removed or replaced: asked about again once it is put back. */
const GATEWAY_GONE_RETRY_MS = 60 * 60_000;

export type ResolverRun = { resolved: number; pending: number; failed: number };

export async function resolvePendingCharges(
  db: Db,
  settings: GatewaySettings,
  events: EventsOutbox,
  now: Date,
  adapters?: GatewayFactory,
): Promise<ResolverRun> {
  const run: ResolverRun = { resolved: 0, pending: 0, failed: 0 };
  for (const charge of await charges.dueCharges(db, now.toISOString(), CHARGES_PER_RUN)) {
    try {
      const opened = await openGatewayById(db, settings, charge.org_id, charge.gateway_id, adapters);
      if (!opened) {
        logError("a pending charge's gateway configuration is no longer the organization's", {
          charge_id: charge.id,
          org_id: charge.org_id,
        });
        const later = new Date(now.getTime() + GATEWAY_GONE_RETRY_MS).toISOString();
        await charges.scheduleNextCheck(db, charge.org_id, charge.id, 0, later, now.toISOString());
        run.pending++;
        continue;
      }
      let answer = await ask(opened.gateway, charge);
      if (answer.kind === "refused") answer = refusalAsFailure(answer.error);
      if (answer.kind !== "known") {
        const attempts = charge.attempts + 1;
        await charges.scheduleNextCheck(db, charge.org_id, charge.id, 1, nextCheckAt(now, attempts), now.toISOString());
        run.pending++;
        continue;
      }
      await recordOutcome(db, charge, answer.outcome, events);
      run.resolved++;
    } catch (error) {
      run.failed++;
      logError("resolving a pending charge failed; it is asked about again next run", {
        charge_id: charge.id,
        error: describeError(error),
      });
    }
  }
  return run;
}
