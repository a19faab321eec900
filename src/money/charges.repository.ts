import type { Db } from "../lib/db";
import type { GatewayType } from "../payment-gateway/gateway";

/** A charges row as D1 returns it. */
export type ChargeRow = {
  seq: number;
  id: string;
  org_id: string;
  customer_id: string;
  payment_method_id: string;
  amount: number;
  currency: string;
  description: string | null;
  status: "pending" | "succeeded" | "failed";
  failure_code: string | null;
  decline_code: string | null;
  failure_message: string | null;
  gateway: GatewayType;
  gateway_id: string;
  gateway_customer_reference: string;
  gateway_payment_method_reference: string;
  gateway_reference: string | null;
  idempotency_key: string;
  request_key_hash: string | null;
  resolution: string | null;
  attempts: number;
  next_check_at: string | null;
  created_at: string;
  updated_at: string;
};

export type NewCharge = Pick<
  ChargeRow,
  | "id"
  | "org_id"
  | "customer_id"
  | "payment_method_id"
  | "amount"
  | "currency"
  | "description"
  | "gateway"
  | "gateway_id"
  | "gateway_customer_reference"
  | "gateway_payment_method_reference"
  | "idempotency_key"
  | "request_key_hash"
  | "next_check_at"
  | "created_at"
>;

/**
 * Inserts the charge `pending`, before anything is sent to the gateway, while the customer is
 * live. Null when it did not land: the customer is not live, or another charge already holds
 * this request key (a retry of the same request: the caller continues that one).
 */
export async function insertPendingCharge(db: Db, charge: NewCharge): Promise<ChargeRow | null> {
  return db
    .prepare(
      `INSERT INTO charges (id, org_id, customer_id, payment_method_id, amount, currency, description, status,
         gateway, gateway_id, gateway_customer_reference, gateway_payment_method_reference, idempotency_key,
         request_key_hash, next_check_at, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15
       WHERE EXISTS (SELECT 1 FROM customers WHERE org_id = ?2 AND id = ?3 AND archived_at IS NULL)
       ON CONFLICT DO NOTHING
       RETURNING *`,
    )
    .bind(
      charge.id,
      charge.org_id,
      charge.customer_id,
      charge.payment_method_id,
      charge.amount,
      charge.currency,
      charge.description,
      charge.gateway,
      charge.gateway_id,
      charge.gateway_customer_reference,
      charge.gateway_payment_method_reference,
      charge.idempotency_key,
      charge.request_key_hash,
      charge.next_check_at,
      charge.created_at,
    )
    .first<ChargeRow>();
}

export async function findCharge(db: Db, orgId: string, id: string): Promise<ChargeRow | null> {
  return db.prepare("SELECT * FROM charges WHERE org_id = ?1 AND id = ?2").bind(orgId, id).first<ChargeRow>();
}

export async function findChargeByRequestKey(db: Db, orgId: string, requestKeyHash: string): Promise<ChargeRow | null> {
  return db
    .prepare("SELECT * FROM charges WHERE org_id = ?1 AND request_key_hash = ?2")
    .bind(orgId, requestKeyHash)
    .first<ChargeRow>();
}

/** Newest first, below `beforeSeq` when given. */
export async function listCharges(
  db: Db,
  orgId: string,
  customerId: string,
  beforeSeq: number | null,
  limit: number,
): Promise<ChargeRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM charges WHERE org_id = ?1 AND customer_id = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4`)
    .bind(orgId, customerId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit)
    .all<ChargeRow>();
  return results;
}

/**
 * Removes a charge the gateway certainly never received (it was unreachable, or refused the
 * request), so nothing of the attempt remains. Only while it is still pending and unresolved.
 */
export async function deleteUnsentCharge(db: Db, orgId: string, id: string): Promise<void> {
  await db
    .prepare("DELETE FROM charges WHERE org_id = ?1 AND id = ?2 AND status = 'pending' AND resolution IS NULL")
    .bind(orgId, id)
    .run();
}

/** The gateway was asked and did not say: count the attempt and when to ask next. */
export async function scheduleNextCheck(
  db: Db,
  orgId: string,
  id: string,
  attempts: number,
  nextCheckAt: string,
  now: string,
): Promise<void> {
  await db
    .prepare(
      `UPDATE charges SET attempts = attempts + ?3, next_check_at = ?4, updated_at = ?5
       WHERE org_id = ?1 AND id = ?2 AND status = 'pending'`,
    )
    .bind(orgId, id, attempts, nextCheckAt, now)
    .run();
}

/** Pending charges whose next check is due (the resolver's work), oldest due first. */
export async function dueCharges(db: Db, now: string, limit: number): Promise<ChargeRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM charges WHERE status = 'pending' AND next_check_at <= ?1 ORDER BY next_check_at LIMIT ?2`)
    .bind(now, limit)
    .all<ChargeRow>();
  return results;
}

/** SQL condition (anonymous `?`): the outcome write with this token is the one that resolved the charge. */
export const resolvedBy = (orgId: string, chargeId: string, token: string) => ({
  sql: "EXISTS (SELECT 1 FROM charges WHERE org_id = ? AND id = ? AND resolution = ?)",
  params: [orgId, chargeId, token],
});

export type ChargeOutcomeFields = {
  status: "succeeded" | "failed";
  gateway_reference: string | null;
  failure_code: string | null;
  decline_code: string | null;
  failure_message: string | null;
};

/**
 * The outcome write: from `pending` to the outcome, setting `resolution` to `token`, only if
 * still pending and `guard` (SQL with anonymous `?`) holds. Exactly one write can do it.
 */
export function resolveChargeStatement(
  db: Db,
  charge: ChargeRow,
  outcome: ChargeOutcomeFields,
  token: string,
  now: string,
  guard: { sql: string; params: unknown[] },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE charges SET status = ?, gateway_reference = ?, failure_code = ?, decline_code = ?, failure_message = ?,
         resolution = ?, next_check_at = NULL, attempts = attempts + 1, updated_at = ?
       WHERE org_id = ? AND id = ? AND status = 'pending' AND (${guard.sql})`,
    )
    .bind(
      outcome.status,
      outcome.gateway_reference,
      outcome.failure_code,
      outcome.decline_code,
      outcome.failure_message,
      token,
      now,
      charge.org_id,
      charge.id,
      ...guard.params,
    );
}
