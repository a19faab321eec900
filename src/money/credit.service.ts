import { customerNotFound } from "../customer-records/customer-records.repository";
import { customerArchived } from "../customers/customers.errors";
import { findById } from "../customers/customers.repository";
import type { EventsOutbox } from "../events/outbox";
import { sha256Hex } from "../lib/crypto";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { describeError, logError } from "../lib/logger";
import { isStorageError } from "../lib/storage-errors";
import { gatewayCustomerOf } from "../payment-gateway/customer-link.service";
import { askGateway, gatewayProblem } from "../payment-gateway/gateway-errors";
import {
  type GatewayFactory,
  type GatewaySettings,
  type OpenedGateway,
  openGateway,
  openGatewayById,
} from "../payment-gateway/payment-gateway.service";
import { findPaymentMethod } from "../payment-methods/payment-methods.repository";
import { type Answer, ask, nextCheckAt, recordOutcome, refusalAsFailure, type Settled } from "./charge-outcome";
import * as charges from "./charges.repository";
import { transactionOfCharge } from "./ledger.repository";
import { toBalanceTransactionObject, toChargeObject } from "./money.object";
import type { BalanceTransactionObject, ChargeObject } from "./money.schemas";

/**
 * `POST /v1/customers/credit_from_payment_method` (spec section 11): charge a payment method
 * and credit the customer's balance, at most once per Roster charge whatever crashes or
 * retries (docs/money.md walks through every window):
 *
 * 1. the charge is inserted `pending` in D1 first, with its gateway idempotency key derived
 *    from its id (and the request's Idempotency-Key, so a retry of a request that died finds it);
 * 2. then the gateway is asked;
 * 3. then one batch records the outcome with the balance transaction and the events.
 *
 * A Worker that dies between 1 and 3 leaves the charge pending; the resolver (and a retry of
 * the request) asks the gateway again with the same key, and the outcome is recorded once.
 */

export type MoneyDeps = {
  db: Db;
  orgId: string;
  settings: GatewaySettings;
  events: EventsOutbox;
  /** The request's Idempotency-Key, if it sent one. */
  requestKey: string | null;
  adapters?: GatewayFactory;
};

export type CreditInput = {
  customerId: string;
  paymentMethodId: string;
  amount: number;
  currency: string;
  description: string | null;
};

export type CreditResult =
  | { status: 201; transaction: BalanceTransactionObject }
  /** The gateway's outcome is not known yet: the charge stays pending and is resolved in the background. */
  | { status: 202; charge: ChargeObject };

/** A pending charge is left to its own request for this long before the resolver asks. */
const OWN_REQUEST_WINDOW_MS = 2 * 60_000;

/**
 * `keep` (the request's Idempotency-Key answer) commits in the batch that records the outcome;
 * a request that records none (an answer already recorded, a pending charge) keeps its answer
 * after the handler, and a retry of it continues the same charge (never a second one).
 */
export async function creditFromPaymentMethod(
  deps: MoneyDeps,
  input: CreditInput,
  keep: KeepAnswer<Settled> = keepNothing,
): Promise<CreditResult> {
  const opened = await openGateway(deps);
  const paymentMethod = await findPaymentMethod(deps.db, deps.orgId, input.customerId, input.paymentMethodId);
  if (!paymentMethod) throw new ApiError("not_found", "This customer has no payment method with this id.");
  if (paymentMethod.gateway !== opened.config.type) {
    throw new ApiError(
      "gateway_rejected",
      `Payment method ${paymentMethod.id} is a reference at gateway '${paymentMethod.gateway ?? "none"}'; this organization's gateway is '${opened.config.type}', which cannot charge it.`,
    );
  }
  const requestKeyHash = deps.requestKey === null ? null : await sha256Hex(`${deps.orgId}\n${deps.requestKey}`);
  const earlier =
    requestKeyHash === null ? null : await charges.findChargeByRequestKey(deps.db, deps.orgId, requestKeyHash);
  if (earlier && sameCredit(earlier, input)) return continueCharge(deps, earlier, keep);
  const { reference: gatewayCustomer, record: recordLink } = await gatewayCustomerOf(deps.db, opened, input.customerId);
  // An off-session charge needs the card attached to the gateway customer (Stripe refuses it
  // otherwise); attaching an attached card is a no-op, and the gateway checks the reference
  // here, before any charge exists.
  await askGateway(() =>
    opened.gateway.attachPaymentMethod(
      gatewayCustomer,
      paymentMethod.gateway_reference,
      `roster-attach-${deps.orgId}-${paymentMethod.id}-${gatewayCustomer}`,
    ),
  );
  // The customer's link (its `billing`), recorded once the gateway accepted the card: a
  // refusal above leaves Roster unchanged.
  if (recordLink.length > 0) await deps.db.batch(recordLink);
  const id = newId("ch");
  const now = new Date();
  const charge = await charges.insertPendingCharge(deps.db, {
    id,
    org_id: deps.orgId,
    customer_id: input.customerId,
    payment_method_id: paymentMethod.id,
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    gateway: opened.config.type,
    gateway_id: opened.config.id,
    gateway_customer_reference: gatewayCustomer,
    gateway_payment_method_reference: paymentMethod.gateway_reference,
    idempotency_key: `roster-charge-${id}`,
    // A reused key with another body (once its kept response expired) starts a charge of its own.
    request_key_hash: earlier ? null : requestKeyHash,
    next_check_at: new Date(now.getTime() + OWN_REQUEST_WINDOW_MS).toISOString(),
    created_at: now.toISOString(),
  });
  if (!charge) {
    const concurrent =
      requestKeyHash === null ? null : await charges.findChargeByRequestKey(deps.db, deps.orgId, requestKeyHash);
    if (concurrent && sameCredit(concurrent, input)) return continueCharge(deps, concurrent, keep);
    throw await customerGone(deps.db, deps.orgId, input.customerId);
  }
  return send(deps, opened, charge, { firstSend: true, keep });
}

const sameCredit = (charge: charges.ChargeRow, input: CreditInput) =>
  charge.customer_id === input.customerId &&
  charge.payment_method_id === input.paymentMethodId &&
  charge.amount === input.amount &&
  charge.currency === input.currency;

/** Why a write under the customer did not land: it was archived (410) or is gone (404). */
async function customerGone(db: Db, orgId: string, customerId: string): Promise<ApiError> {
  const row = await findById(db, orgId, customerId);
  return row?.archived_at ? customerArchived(row.id, row.archived_at) : customerNotFound();
}

/** The request's answer for a recorded (or still pending) charge: a result, or the decline's 402. */
export function creditOutcome(settled: Settled): CreditResult | ApiError {
  const { charge, transaction } = settled;
  if (charge.status === "succeeded" && transaction) {
    return { status: 201, transaction: toBalanceTransactionObject(transaction, charge) };
  }
  if (charge.status === "failed") {
    return new ApiError("payment_failed", charge.failure_message ?? "The payment gateway declined the charge.", {
      extensions: { charge_id: charge.id, decline_code: charge.decline_code },
    });
  }
  return { status: 202, charge: toChargeObject(charge) };
}

function answerFor(settled: Settled): CreditResult {
  const outcome = creditOutcome(settled);
  if (outcome instanceof ApiError) throw outcome;
  return outcome;
}

/** A retry of a request that already made this charge: its record, or ask again with its key. */
async function continueCharge(
  deps: MoneyDeps,
  charge: charges.ChargeRow,
  keep: KeepAnswer<Settled>,
): Promise<CreditResult> {
  if (charge.status !== "pending") {
    return answerFor({ charge, transaction: await transactionOfCharge(deps.db, deps.orgId, charge.id) });
  }
  const opened = await openGatewayById(deps.db, deps.settings, deps.orgId, charge.gateway_id, deps.adapters);
  if (!opened) return answerFor({ charge, transaction: null });
  return send(deps, opened, charge, { firstSend: false, keep });
}

/**
 * Asks the gateway (once more at once if it does not know) and answers. Only a charge this
 * request inserted and has not sent before may be removed when the gateway certainly never got
 * it: any other may have reached it on an earlier try.
 */
async function send(
  deps: MoneyDeps,
  opened: OpenedGateway,
  charge: charges.ChargeRow,
  { firstSend, keep }: { firstSend: boolean; keep: KeepAnswer<Settled> },
): Promise<CreditResult> {
  let answer: Answer = await ask(opened.gateway, charge);
  if (firstSend && (answer.kind === "unsent" || answer.kind === "refused")) {
    await charges.deleteUnsentCharge(deps.db, deps.orgId, charge.id);
    throw gatewayProblem(answer.error);
  }
  if (answer.kind === "refused") answer = refusalAsFailure(answer.error);
  if (answer.kind === "unknown") answer = await ask(opened.gateway, charge);
  if (answer.kind !== "known") {
    const now = new Date();
    await charges.scheduleNextCheck(deps.db, deps.orgId, charge.id, 2, nextCheckAt(now, 2), now.toISOString());
    return { status: 202, charge: toChargeObject(charge) };
  }
  try {
    return answerFor(await recordOutcome(deps.db, charge, answer.outcome, deps.events, keep));
  } catch (error) {
    // The gateway has answered but D1 failed: the charge stays pending, and the resolver asks
    // again with the same key and records this same outcome. So the answer is "pending", not a 5xx.
    if (!isStorageError(error)) throw error;
    logError("recording a charge's outcome failed; the resolver will", {
      charge_id: charge.id,
      error: describeError(error),
    });
    return { status: 202, charge: toChargeObject(charge) };
  }
}
