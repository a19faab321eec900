import type { Db } from "../lib/db";
import type { ChargeRow } from "./charges.repository";

/**
 * Balances and their transactions. A balance changes only through `balanceChangeStatements`:
 * in one batch, the transaction is inserted with the balance it leaves, and the balance moves
 * only if that transaction exists. Both are guarded by the balance as it was read and by
 * `ending_balance >= 0` in SQL, so concurrent changes cannot interleave or go below zero:
 * a change whose read went stale lands nothing and is tried again on a fresh read.
 */

export type BalanceRow = {
  org_id: string;
  customer_id: string;
  currency: string;
  amount: number;
  updated_at: string;
};

export type BalanceTransactionRow = {
  seq: number;
  id: string;
  org_id: string;
  customer_id: string;
  type: "credit_from_payment_method" | "adjustment";
  amount: number;
  currency: string;
  ending_balance: number;
  charge_id: string | null;
  description: string | null;
  created_at: string;
};

/** A transaction with the charge it came from (credits only), as the lists read it. */
export type TransactionWithCharge = { transaction: BalanceTransactionRow; charge: ChargeRow | null };

export async function balancesOf(db: Db, orgId: string, customerId: string): Promise<BalanceRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM customer_balances WHERE org_id = ?1 AND customer_id = ?2 ORDER BY currency")
    .bind(orgId, customerId)
    .all<BalanceRow>();
  return results;
}

/** The balance in one currency; 0 when the customer never held it. */
export async function balanceIn(db: Db, orgId: string, customerId: string, currency: string): Promise<number> {
  const row = await db
    .prepare("SELECT amount FROM customer_balances WHERE org_id = ?1 AND customer_id = ?2 AND currency = ?3")
    .bind(orgId, customerId, currency)
    .first<{ amount: number }>();
  return row?.amount ?? 0;
}

/** SQL condition (anonymous `?`): the balance is still `amount` (no row counts as 0). */
export const balanceIs = (orgId: string, customerId: string, currency: string, amount: number) => ({
  sql: `COALESCE((SELECT amount FROM customer_balances WHERE org_id = ? AND customer_id = ? AND currency = ?), 0) = ?`,
  params: [orgId, customerId, currency, amount],
});

/**
 * The statements of one balance change, in batch order, each acting only if `guard` (SQL with
 * anonymous `?`, evaluated against stored state, which must include the balance read) holds:
 * the balance row for a currency held for the first time, the transaction (with
 * `ending_balance`, refused below zero), then the balance itself, conditioned on that
 * transaction. `insert` is the transaction's INSERT (`RETURNING *`): its result in the batch
 * (`lib/batch.ts` `firstRowOf`) is the row when the change landed.
 */
export function balanceChangeStatements(
  db: Db,
  transaction: BalanceTransactionRow,
  now: string,
  guard: { sql: string; params: unknown[] },
): { statements: D1PreparedStatement[]; insert: D1PreparedStatement } {
  const { org_id: orgId, customer_id: customerId, currency } = transaction;
  const openBalance = db
    .prepare(
      `INSERT INTO customer_balances (org_id, customer_id, currency, amount, updated_at)
       SELECT ?, ?, ?, 0, ? WHERE (${guard.sql})
       ON CONFLICT DO NOTHING`,
    )
    .bind(orgId, customerId, currency, now, ...guard.params);
  const insert = db
    .prepare(
      `INSERT INTO balance_transactions (id, org_id, customer_id, type, amount, currency, ending_balance, charge_id,
         description, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ? >= 0 AND (${guard.sql})
       RETURNING *`,
    )
    .bind(
      transaction.id,
      orgId,
      customerId,
      transaction.type,
      transaction.amount,
      currency,
      transaction.ending_balance,
      transaction.charge_id,
      transaction.description,
      transaction.created_at,
      transaction.ending_balance,
      ...guard.params,
    );
  const move = db
    .prepare(
      `UPDATE customer_balances SET amount = ?, updated_at = ?
       WHERE org_id = ? AND customer_id = ? AND currency = ?
         AND EXISTS (SELECT 1 FROM balance_transactions WHERE org_id = ? AND id = ?)`,
    )
    .bind(transaction.ending_balance, now, orgId, customerId, currency, orgId, transaction.id);
  const statements = transaction.amount > 0 ? [openBalance, insert, move] : [insert, move];
  return { statements, insert };
}

/** SQL condition (anonymous `?`): this transaction was inserted (its events' guard). */
export const transactionInserted = (orgId: string, id: string) => ({
  sql: "EXISTS (SELECT 1 FROM balance_transactions WHERE org_id = ? AND id = ?)",
  params: [orgId, id],
});

const CHARGE_COLUMNS = [
  "seq",
  "id",
  "org_id",
  "customer_id",
  "payment_method_id",
  "amount",
  "currency",
  "description",
  "status",
  "failure_code",
  "decline_code",
  "failure_message",
  "gateway",
  "gateway_id",
  "gateway_customer_reference",
  "gateway_payment_method_reference",
  "gateway_reference",
  "idempotency_key",
  "request_key_hash",
  "resolution",
  "attempts",
  "next_check_at",
  "created_at",
  "updated_at",
];

// The charge of a credit travels as one JSON column, so a page is one statement.
const CHARGE_JSON = `(SELECT json_object(${CHARGE_COLUMNS.map((column) => `'${column}', c.${column}`).join(", ")})
  FROM charges c WHERE c.org_id = t.org_id AND c.id = t.charge_id) AS charge_json`;

const withCharge = (row: BalanceTransactionRow & { charge_json: string | null }): TransactionWithCharge => {
  const { charge_json: chargeJson, ...transaction } = row;
  return { transaction, charge: chargeJson === null ? null : (JSON.parse(chargeJson) as ChargeRow) };
};

/** Newest first, below `beforeSeq` when given, in one currency when given. */
export async function listTransactions(
  db: Db,
  orgId: string,
  customerId: string,
  currency: string | undefined,
  beforeSeq: number | null,
  limit: number,
): Promise<TransactionWithCharge[]> {
  // Two shapes, so each reads its own index in order.
  const inCurrency = currency === undefined ? "" : "AND t.currency = ?5";
  const { results } = await db
    .prepare(
      `SELECT t.*, ${CHARGE_JSON} FROM balance_transactions t
       WHERE t.org_id = ?1 AND t.customer_id = ?2 ${inCurrency} AND t.seq < ?3
       ORDER BY t.seq DESC LIMIT ?4`,
    )
    .bind(orgId, customerId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit, ...(currency === undefined ? [] : [currency]))
    .all<BalanceTransactionRow & { charge_json: string | null }>();
  return results.map(withCharge);
}

/** The transaction a charge credited, if it did. */
export async function transactionOfCharge(
  db: Db,
  orgId: string,
  chargeId: string,
): Promise<BalanceTransactionRow | null> {
  return db
    .prepare("SELECT * FROM balance_transactions WHERE org_id = ?1 AND charge_id = ?2")
    .bind(orgId, chargeId)
    .first<BalanceTransactionRow>();
}
