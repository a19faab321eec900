import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { BalanceTransactionObject, ChargeObject } from "../src/money/money.schemas";
import type { PaymentMethodObject } from "../src/payment-methods/payment-methods.schemas";
import { type Called, type CallOptions, call, createCustomer, newOrganization } from "./helpers";

/** Shared by the money*.test.ts files. */

export type { BalanceTransactionObject, ChargeObject };

export type CustomerBalanceObject = {
  object: "customer_balance";
  customer_id: string;
  balances: Record<string, number>;
  updated_at: string | null;
};

export type ListOf<T> = { object: "list"; data: T[]; has_more: boolean; next_cursor: string | null };

export const CREDIT_PATH = "/v1/customers/credit_from_payment_method";

export async function configureTestGateway(key: string): Promise<void> {
  const response = await call("PUT", "/v1/payment_gateway", { key, body: { type: "test" } });
  expect(response.status, response.text).toBe(200);
}

export async function addCard(
  key: string,
  customerId: string,
  reference = "pm_card_visa",
  gateway: string | null = "test",
): Promise<PaymentMethodObject> {
  const response = await call<PaymentMethodObject>("POST", `/v1/customers/${customerId}/payment_methods`, {
    key,
    body: { gateway, gateway_reference: reference },
  });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

/** An organization with the test gateway, one customer and one card on file. */
export async function moneySetup(reference = "pm_card_visa", customerBody: Record<string, unknown> = {}) {
  const { key, orgId } = await newOrganization();
  await configureTestGateway(key);
  const customer = await createCustomer(key, customerBody);
  const card = await addCard(key, customer.id, reference);
  return { key, orgId, customer, card };
}

export const credit = (key: string, body: Record<string, unknown>, options: Omit<CallOptions, "key" | "body"> = {}) =>
  call<BalanceTransactionObject | ChargeObject>("POST", CREDIT_PATH, { key, body, ...options });

export const creditBody = (customerId: string, paymentMethodId: string, amount = 1000, currency = "usd") => ({
  customer_id: customerId,
  payment_method_id: paymentMethodId,
  amount,
  currency,
});

export const adjustBalance = (key: string, customerId: string, amount: number, currency = "usd") =>
  call<BalanceTransactionObject>("POST", `/v1/customers/${customerId}/balance_transactions`, {
    key,
    body: { amount, currency },
  });

export async function balanceOf(key: string, customerId: string): Promise<CustomerBalanceObject> {
  const response = await call<CustomerBalanceObject>("GET", `/v1/customers/${customerId}/balance`, { key });
  expect(response.status, response.text).toBe(200);
  return response.body;
}

export const count = async (table: string, where = "1", ...params: unknown[]) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0;

/** The ledger's own invariant: each balance equals the sum of its transactions, and none is below zero. */
export async function expectLedgerConsistent(orgId: string, customerId: string): Promise<void> {
  const { results } = await env.DB.prepare(
    `SELECT b.currency, b.amount, (SELECT COALESCE(SUM(t.amount), 0) FROM balance_transactions t
       WHERE t.org_id = b.org_id AND t.customer_id = b.customer_id AND t.currency = b.currency) AS total
     FROM customer_balances b WHERE b.org_id = ?1 AND b.customer_id = ?2`,
  )
    .bind(orgId, customerId)
    .all<{ currency: string; amount: number; total: number }>();
  for (const row of results) {
    expect(row.amount, row.currency).toBe(row.total);
    expect(row.amount).toBeGreaterThanOrEqual(0);
  }
}

/** The customer's events, oldest first: type and sequence. */
export async function eventsOf(orgId: string, customerId: string) {
  const { results } = await env.DB.prepare(
    "SELECT type, sequence, data FROM events WHERE org_id = ?1 AND customer_id = ?2 ORDER BY seq",
  )
    .bind(orgId, customerId)
    .all<{ type: string; sequence: number; data: string }>();
  return results.map((row) => ({ type: row.type, sequence: row.sequence, object: JSON.parse(row.data).object }));
}

export const asProblemCharge = (response: Called<unknown>) =>
  response.body as { charge_id?: string; decline_code?: string | null };
