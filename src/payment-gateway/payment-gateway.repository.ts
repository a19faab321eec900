import { firstRowOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import type { SealedSecret } from "../lib/secret-box";
import type { SqlGuard } from "../lib/sql-guard";
import type { GatewayType } from "./gateway";

/** A payment_gateways row as D1 returns it. */
export type GatewayConfigRow = {
  org_id: string;
  id: string;
  type: GatewayType;
  secret_key_ciphertext: string | null;
  secret_key_iv: string | null;
  secret_key_key_id: string | null;
  secret_key_masked: string | null;
  created_at: string;
  updated_at: string;
};

export type NewGatewayConfig = {
  id: string;
  type: GatewayType;
  sealed: SealedSecret | null;
  masked: string | null;
};

export async function findGatewayConfig(db: Db, orgId: string): Promise<GatewayConfigRow | null> {
  return db.prepare("SELECT * FROM payment_gateways WHERE org_id = ?1").bind(orgId).first<GatewayConfigRow>();
}

/**
 * Stores the organization's gateway, replacing any other. `created_at` is when this
 * configuration (its `id`: type and key) was first stored, so a PUT of the same key keeps it.
 * `after` are statements of the same batch (a kept answer) that run once the row is written.
 */
export async function upsertGatewayConfig(
  db: Db,
  orgId: string,
  config: NewGatewayConfig,
  now: string,
  after: D1PreparedStatement[] = [],
): Promise<GatewayConfigRow> {
  const upsert = db
    .prepare(
      `INSERT INTO payment_gateways (org_id, id, type, secret_key_ciphertext, secret_key_iv, secret_key_key_id,
         secret_key_masked, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
       ON CONFLICT (org_id) DO UPDATE SET
         created_at = CASE WHEN payment_gateways.id = excluded.id THEN payment_gateways.created_at ELSE excluded.created_at END,
         id = excluded.id, type = excluded.type, secret_key_ciphertext = excluded.secret_key_ciphertext,
         secret_key_iv = excluded.secret_key_iv, secret_key_key_id = excluded.secret_key_key_id,
         secret_key_masked = excluded.secret_key_masked, updated_at = excluded.updated_at
       RETURNING *`,
    )
    .bind(
      orgId,
      config.id,
      config.type,
      config.sealed?.ciphertext ?? null,
      config.sealed?.iv ?? null,
      config.sealed?.keyId ?? null,
      config.masked,
      now,
    );
  const row = firstRowOf<GatewayConfigRow>(await runBatch(db, [upsert, ...after]), upsert);
  if (!row) throw new Error("upsert returned no row");
  return row;
}

/** True while the organization's gateway is this configuration, as stored at `updatedAt` (a kept answer's guard). */
export const gatewayConfigIs = (
  orgId: string,
  row: Pick<GatewayConfigRow, "id" | "created_at" | "updated_at">,
): SqlGuard => ({
  sql: "EXISTS (SELECT 1 FROM payment_gateways WHERE org_id = ? AND id = ? AND created_at = ? AND updated_at = ?)",
  params: [orgId, row.id, row.created_at, row.updated_at],
});

/**
 * Deletes the organization's gateway if it is still configuration `id`; `before` (a kept answer
 * guarded by `gatewayConfigIs`) runs in the same batch just before it, while the row exists.
 * The row as it was, or null when it was no longer there.
 */
export async function deleteGatewayConfig(
  db: Db,
  orgId: string,
  id: string,
  before: D1PreparedStatement[] = [],
): Promise<GatewayConfigRow | null> {
  const remove = db.prepare("DELETE FROM payment_gateways WHERE org_id = ?1 AND id = ?2 RETURNING *").bind(orgId, id);
  return firstRowOf<GatewayConfigRow>(await runBatch(db, [...before, remove]), remove);
}

/** Up to `limit` stored keys sealed under a key other than `currentKeyId` (key rotation). */
export async function gatewayConfigsUnderOtherKeys(
  db: Db,
  currentKeyId: string,
  limit: number,
): Promise<GatewayConfigRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM payment_gateways WHERE secret_key_key_id IS NOT NULL AND secret_key_key_id != ?1 LIMIT ?2`)
    .bind(currentKeyId, limit)
    .all<GatewayConfigRow>();
  return results;
}

/** Re-seals a stored key, only if the row still holds the ciphertext it was read with. */
export async function resealGatewayKey(db: Db, row: GatewayConfigRow, sealed: SealedSecret): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE payment_gateways SET secret_key_ciphertext = ?3, secret_key_iv = ?4, secret_key_key_id = ?5
       WHERE org_id = ?1 AND secret_key_ciphertext = ?2`,
    )
    .bind(row.org_id, row.secret_key_ciphertext, sealed.ciphertext, sealed.iv, sealed.keyId)
    .run();
  return result.meta.changes > 0;
}

/** The customer's customer at this gateway configuration, if one was created. */
export async function findGatewayCustomer(
  db: Db,
  orgId: string,
  customerId: string,
  gatewayId: string,
): Promise<string | null> {
  const row = await db
    .prepare("SELECT reference FROM gateway_customers WHERE org_id = ?1 AND customer_id = ?2 AND gateway_id = ?3")
    .bind(orgId, customerId, gatewayId)
    .first<{ reference: string }>();
  return row?.reference ?? null;
}

/**
 * Records the customer's gateway customer at this configuration (replacing one recorded before:
 * the caller named another), for the batch of the change that links it.
 */
export function gatewayCustomerStatement(
  db: Db,
  orgId: string,
  customerId: string,
  gatewayId: string,
  reference: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO gateway_customers (org_id, customer_id, gateway_id, reference, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (org_id, customer_id, gateway_id) DO UPDATE SET reference = excluded.reference`,
    )
    .bind(orgId, customerId, gatewayId, reference, now);
}
