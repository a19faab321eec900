import type { ChargeRow } from "./charges.repository";
import type { BalanceRow, BalanceTransactionRow } from "./ledger.repository";
import type { BalanceTransactionObject, ChargeObject } from "./money.schemas";

export function toChargeObject(row: ChargeRow): ChargeObject {
  return {
    object: "charge",
    id: row.id,
    customer_id: row.customer_id,
    payment_method_id: row.payment_method_id,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    failure_code: row.failure_code,
    decline_code: row.decline_code,
    failure_message: row.failure_message,
    gateway: row.gateway,
    gateway_reference: row.gateway_reference,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function toBalanceTransactionObject(
  row: BalanceTransactionRow,
  charge: ChargeRow | null,
): BalanceTransactionObject {
  return {
    object: "balance_transaction",
    id: row.id,
    customer_id: row.customer_id,
    type: row.type,
    amount: row.amount,
    currency: row.currency,
    ending_balance: row.ending_balance,
    charge: charge === null ? null : toChargeObject(charge),
    description: row.description,
    created_at: row.created_at,
  };
}

export function toCustomerBalanceObject(customerId: string, rows: BalanceRow[]) {
  const updatedAt = rows.reduce<string | null>(
    (latest, row) => (latest === null || row.updated_at > latest ? row.updated_at : latest),
    null,
  );
  return {
    object: "customer_balance" as const,
    customer_id: customerId,
    balances: Object.fromEntries(rows.map((row) => [row.currency, row.amount])),
    updated_at: updatedAt,
  };
}
