import { customerNotFound } from "../customer-records/customer-records.repository";
import { customerArchived } from "../customers/customers.errors";
import { findById } from "../customers/customers.repository";
import { bothGuards, eventsRecordedGuard, recordEventStatements } from "../events/events.repository";
import type { EventsOutbox } from "../events/outbox";
import { firstRowOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { newId } from "../lib/ids";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { filtersKey, pageBody, readPage } from "../lib/pages";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import * as charges from "./charges.repository";
import * as ledger from "./ledger.repository";
import { toBalanceTransactionObject, toChargeObject, toCustomerBalanceObject } from "./money.object";
import type { BalanceTransactionListQuery, BalanceTransactionObject, ChargeListQuery } from "./money.schemas";

/**
 * Balances, balance transactions and charges as the API reads them, and manual adjustments.
 * Reads work on archived customers too (archive keeps these financial records); changes need a
 * live one (`410 customer_archived` otherwise).
 */

type Deps = { db: Db; orgId: string };

/** The customer, archived or not; 404 when this organization has none with this id. */
async function existingCustomer(deps: Deps, customerId: string) {
  const row = await findById(deps.db, deps.orgId, customerId);
  if (!row) throw customerNotFound();
  return row;
}

/** The customer, live: 404 unknown, 410 archived (money operations on an archived customer). */
export async function liveCustomer(deps: Deps, customerId: string) {
  const row = await existingCustomer(deps, customerId);
  if (row.archived_at !== null) throw customerArchived(row.id, row.archived_at);
  return row;
}

const customerLive = (orgId: string, customerId: string) => ({
  sql: "EXISTS (SELECT 1 FROM customers WHERE org_id = ? AND id = ? AND archived_at IS NULL)",
  params: [orgId, customerId],
});

const insufficient = (currency: string, balance: number, amount: number) =>
  new ApiError(
    "balance_insufficient",
    `The ${currency} balance is ${balance}; a debit of ${-amount} would take it below zero. Nothing changed.`,
  );

/**
 * A manual adjustment (`type: "adjustment"`): one balance transaction and its
 * `balance_transaction.created`, in one batch guarded by the customer being live and the
 * balance as read, refused in SQL below zero. A concurrent change makes it go round with a
 * fresh read; a debit that would go below zero on that read is `409 balance_insufficient`.
 */
export async function adjust(
  deps: Deps & { events: EventsOutbox },
  customerId: string,
  input: { amount: number; currency: string; description: string | null },
  keep: KeepAnswer<BalanceTransactionObject> = keepNothing,
): Promise<BalanceTransactionObject> {
  return retryWhileChanging({ record: "balance", change: "adjustment" }, async () => {
    await liveCustomer(deps, customerId);
    const before = await ledger.balanceIn(deps.db, deps.orgId, customerId, input.currency);
    if (before + input.amount < 0) throw insufficient(input.currency, before, input.amount);
    const now = nowIso();
    const transaction: ledger.BalanceTransactionRow = {
      seq: 0,
      id: newId("cbt"),
      org_id: deps.orgId,
      customer_id: customerId,
      type: "adjustment",
      amount: input.amount,
      currency: input.currency,
      ending_balance: before + input.amount,
      charge_id: null,
      description: input.description,
      created_at: now,
    };
    const guard = bothGuards(
      customerLive(deps.orgId, customerId),
      ledger.balanceIs(deps.orgId, customerId, input.currency, before),
    );
    const change = ledger.balanceChangeStatements(deps.db, transaction, now, guard);
    const event = recordEventStatements(deps.db, {
      orgId: deps.orgId,
      customerId,
      type: "balance_transaction.created",
      object: toBalanceTransactionObject(transaction, null),
      requestId: deps.events.requestId,
      createdAt: now,
      guard: ledger.transactionInserted(deps.orgId, transaction.id),
    });
    // The request's kept answer (lib/kept-answer.ts), acting only where the event was recorded.
    const kept = keep(toBalanceTransactionObject(transaction, null), eventsRecordedGuard(deps.orgId, event.eventIds));
    const statements = [...change.statements, ...event.statements, ...kept];
    const written = await runBatch(deps.db, statements);
    const inserted = firstRowOf<ledger.BalanceTransactionRow>(written, change.insert);
    if (inserted) {
      deps.events.committed(deps.orgId, [event], written.statements, written.results);
      return toBalanceTransactionObject(inserted, null);
    }
    return GO_ROUND;
  });
}

export async function balance(deps: Deps, customerId: string) {
  await existingCustomer(deps, customerId);
  return toCustomerBalanceObject(customerId, await ledger.balancesOf(deps.db, deps.orgId, customerId));
}

/** Newest first; a cursor is valid only for this customer's list with the same currency filter. */
export async function listTransactions(deps: Deps, customerId: string, query: BalanceTransactionListQuery) {
  await existingCustomer(deps, customerId);
  const scope = filtersKey(["balance_transactions", customerId, query.currency ?? null]);
  const { limit, rows } = await readPage(query, scope, (beforeSeq, count) =>
    ledger.listTransactions(deps.db, deps.orgId, customerId, query.currency, beforeSeq, count),
  );
  const positioned = rows.map((row) => ({ seq: row.transaction.seq, row }));
  return pageBody(positioned, limit, scope, ({ row }) => toBalanceTransactionObject(row.transaction, row.charge));
}

export async function listCharges(deps: Deps, customerId: string, query: ChargeListQuery) {
  await existingCustomer(deps, customerId);
  const scope = filtersKey(["charges", customerId]);
  const { limit, rows } = await readPage(query, scope, (beforeSeq, count) =>
    charges.listCharges(deps.db, deps.orgId, customerId, beforeSeq, count),
  );
  return pageBody(rows, limit, scope, toChargeObject);
}

export async function getCharge(deps: Deps, chargeId: string) {
  const row = await charges.findCharge(deps.db, deps.orgId, chargeId);
  if (!row) throw new ApiError("not_found", "This organization has no charge with this id.");
  return toChargeObject(row);
}
