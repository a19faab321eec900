import { recordEventStatements } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import { changesOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { nowIso } from "../lib/fields";
import { newId, randomToken } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { describeError, logError } from "../lib/logger";
import { MAX_WRITE_ATTEMPTS, pauseBeforeRetry } from "../lib/retry";
import { StorageUnavailable } from "../lib/storage-errors";
import {
  type ChargeOutcome,
  type ChargeRequest,
  GatewayRejected,
  GatewayUnreachable,
  type PaymentGateway,
} from "../payment-gateway/gateway";
import * as charges from "./charges.repository";
import * as ledger from "./ledger.repository";
import { toBalanceTransactionObject, toChargeObject } from "./money.object";

/**
 * Asking the gateway about a charge and recording what it said, for the credit request and
 * the background resolver alike. The request to the gateway is built from the charge row
 * only (its idempotency key, derived from the charge id, and the references copied into it),
 * so every ask about one charge is the same request: the gateway charges at most once and
 * answers every repeat with the original outcome.
 */

/** What one ask told. */
export type Answer =
  | { kind: "known"; outcome: Exclude<ChargeOutcome, { status: "unknown" }> }
  /** Maybe charged, maybe not: ask again with the same key. */
  | { kind: "unknown" }
  /** Certainly not received (GatewayUnreachable): nothing happened there. */
  | { kind: "unsent"; error: GatewayUnreachable }
  /** The gateway refused the request (GatewayRejected): nothing was charged. */
  | { kind: "refused"; error: GatewayRejected };

export function chargeRequestOf(charge: charges.ChargeRow): ChargeRequest {
  return {
    idempotencyKey: charge.idempotency_key,
    customerReference: charge.gateway_customer_reference,
    paymentMethodReference: charge.gateway_payment_method_reference,
    amount: charge.amount,
    currency: charge.currency,
    description: charge.description,
    metadata: {
      roster_organization_id: charge.org_id,
      roster_customer_id: charge.customer_id,
      roster_charge_id: charge.id,
    },
  };
}

/**
 * One ask. An error that is not a gateway answer (an adapter bug, a runtime failure) leaves
 * the outcome unknown: the charge may have gone out, so only the same key may settle it.
 */
export async function ask(gateway: PaymentGateway, charge: charges.ChargeRow): Promise<Answer> {
  try {
    const outcome = await gateway.charge(chargeRequestOf(charge));
    return outcome.status === "unknown" ? { kind: "unknown" } : { kind: "known", outcome };
  } catch (error) {
    if (error instanceof GatewayUnreachable) return { kind: "unsent", error };
    if (error instanceof GatewayRejected) return { kind: "refused", error };
    logError("charging through the gateway failed unexpectedly", { charge_id: charge.id, error: describeError(error) });
    return { kind: "unknown" };
  }
}

/** A refusal of a charge the gateway may already have seen, recorded as its failure. */
export const refusalAsFailure = (error: GatewayRejected): Answer & { kind: "known" } => ({
  kind: "known",
  outcome: {
    status: "failed",
    reference: null,
    failureCode: error.code ?? "gateway_rejected",
    declineCode: null,
    message: error.message,
  },
});

/** A charge as recorded: its row, and the balance transaction it credited (succeeded only). */
export type Settled = { charge: charges.ChargeRow; transaction: ledger.BalanceTransactionRow | null };

const fieldsOf = (outcome: Exclude<ChargeOutcome, { status: "unknown" }>): charges.ChargeOutcomeFields =>
  outcome.status === "succeeded"
    ? {
        status: "succeeded",
        gateway_reference: outcome.reference,
        failure_code: null,
        decline_code: null,
        failure_message: null,
      }
    : {
        status: "failed",
        gateway_reference: outcome.reference,
        failure_code: outcome.failureCode,
        decline_code: outcome.declineCode,
        failure_message: outcome.message,
      };

const ALWAYS = { sql: "1", params: [] };

/**
 * Records a known outcome once, in one batch: the charge leaves `pending` (setting a fresh
 * `resolution` token), and only if this write did it, a success credits the balance (one
 * balance transaction with its `ending_balance`) and the events follow (`charge.succeeded` and
 * `balance_transaction.created`, or `charge.failed`). A credit is also guarded by the balance as
 * read; if another change moved it meanwhile, nothing lands and it goes round again. When
 * another writer recorded the charge first, its record is returned. A credit request's answer
 * (`keep`) commits in the same batch, acting only where this write recorded the outcome.
 */
export async function recordOutcome(
  db: Db,
  charge: charges.ChargeRow,
  outcome: Exclude<ChargeOutcome, { status: "unknown" }>,
  events: EventsOutbox,
  keep: KeepAnswer<Settled> = keepNothing,
): Promise<Settled> {
  const fields = fieldsOf(outcome);
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const now = nowIso();
    const token = randomToken(24);
    const resolved: charges.ChargeRow = {
      ...charge,
      ...fields,
      resolution: token,
      next_check_at: null,
      attempts: charge.attempts + 1,
      updated_at: now,
    };
    const byThisWrite = charges.resolvedBy(charge.org_id, charge.id, token);
    const base = { orgId: charge.org_id, customerId: charge.customer_id, requestId: events.requestId, createdAt: now };
    let transaction: ledger.BalanceTransactionRow | null = null;
    let resolve: D1PreparedStatement;
    let statements: D1PreparedStatement[];
    let recorded: ReturnType<typeof recordEventStatements>[];
    if (fields.status === "succeeded") {
      const before = await ledger.balanceIn(db, charge.org_id, charge.customer_id, charge.currency);
      transaction = {
        seq: 0,
        id: newId("cbt"),
        org_id: charge.org_id,
        customer_id: charge.customer_id,
        type: "credit_from_payment_method",
        amount: charge.amount,
        currency: charge.currency,
        ending_balance: before + charge.amount,
        charge_id: charge.id,
        description: charge.description,
        created_at: now,
      };
      const balanceAsRead = ledger.balanceIs(charge.org_id, charge.customer_id, charge.currency, before);
      const change = ledger.balanceChangeStatements(db, transaction, now, byThisWrite);
      recorded = [
        recordEventStatements(db, {
          ...base,
          type: "charge.succeeded",
          object: toChargeObject(resolved),
          guard: byThisWrite,
        }),
        recordEventStatements(db, {
          ...base,
          type: "balance_transaction.created",
          object: toBalanceTransactionObject(transaction, resolved),
          guard: ledger.transactionInserted(charge.org_id, transaction.id),
        }),
      ];
      resolve = charges.resolveChargeStatement(db, charge, fields, token, now, balanceAsRead);
      statements = [resolve, ...change.statements, ...recorded.flatMap((each) => each.statements)];
    } else {
      recorded = [
        recordEventStatements(db, {
          ...base,
          type: "charge.failed",
          object: toChargeObject(resolved),
          guard: byThisWrite,
        }),
      ];
      resolve = charges.resolveChargeStatement(db, charge, fields, token, now, ALWAYS);
      statements = [resolve, ...recorded.flatMap((each) => each.statements)];
    }
    // The request's answer commits with the outcome, where this write recorded it.
    const written = await runBatch(db, [...statements, ...keep({ charge: resolved, transaction }, byThisWrite)]);
    if (changesOf(written, resolve) > 0) {
      events.committed(charge.org_id, recorded, written.statements, written.results);
      return { charge: resolved, transaction };
    }
    const current = await charges.findCharge(db, charge.org_id, charge.id);
    if (!current) throw new StorageUnavailable(`charge ${charge.id} vanished while its outcome was recorded`);
    if (current.status !== "pending") {
      const credited =
        current.status === "succeeded" ? await ledger.transactionOfCharge(db, charge.org_id, charge.id) : null;
      return { charge: current, transaction: credited };
    }
    // Still pending: the balance moved between the read and the batch. Go round.
  }
  throw new StorageUnavailable(
    "The balance kept changing while the charge was recorded; it stays pending and is resolved in the background.",
  );
}

/** When the resolver asks next after `attempts` asks: 1, 2, 4 … minutes, at most an hour apart. */
export function nextCheckAt(now: Date, attempts: number): string {
  const minutes = Math.min(60, 2 ** Math.max(0, attempts - 2));
  return new Date(now.getTime() + minutes * 60_000).toISOString();
}
