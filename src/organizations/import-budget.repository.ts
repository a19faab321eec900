import type { Db } from "../lib/db";

/** A token bucket's shape: how many items it holds when full, and how fast it refills. */
export type BucketShape = { capacity: number; perMillisecond: number };

export type BudgetClaim = { admitted: true } | { admitted: false; available: number };

/**
 * Takes `cost` items from the organization's import budget if it holds that many, in one
 * statement (D1 decides, so two imports at once cannot both spend the last items). The bucket
 * is refilled to `now` either way; the claim token tells this claim from a concurrent one.
 * Workers' clocks differ a little: the bucket's time never moves back (a claim from a clock
 * behind the last one's gets no refill), so skew cannot add items.
 */
export async function claimImportBudget(
  db: Db,
  orgId: string,
  cost: number,
  claimId: string,
  now: number,
  { capacity, perMillisecond }: BucketShape,
): Promise<BudgetClaim> {
  const row = await db
    .prepare(
      `UPDATE organizations AS o
          SET import_tokens = CASE WHEN b.available >= ?2 THEN b.available - ?2 ELSE b.available END,
              import_refilled_at = MAX(?4, COALESCE(o.import_refilled_at, 0)),
              import_claim_id = CASE WHEN b.available >= ?2 THEN ?3 ELSE o.import_claim_id END
         FROM (SELECT id, MIN(?5, COALESCE(import_tokens, ?5) + MAX(0, ?4 - COALESCE(import_refilled_at, 0)) * ?6) AS available
                 FROM organizations WHERE id = ?1) AS b
        WHERE o.id = b.id AND o.id = ?1
        RETURNING import_tokens AS tokens, import_claim_id AS claim_id`,
    )
    .bind(orgId, cost, claimId, now, capacity, perMillisecond)
    .first<{ tokens: number; claim_id: string | null }>();
  // Only an authenticated request claims, and its organization exists.
  if (row === null) throw new Error(`no organization ${orgId} to claim an import budget from`);
  return row.claim_id === claimId ? { admitted: true } : { admitted: false, available: row.tokens };
}

/** Gives `cost` items back (an import that wrote nothing), never past a full bucket. */
export async function refundImportBudget(db: Db, orgId: string, cost: number, capacity: number): Promise<void> {
  await db
    .prepare("UPDATE organizations SET import_tokens = MIN(?3, COALESCE(import_tokens, ?3) + ?2) WHERE id = ?1")
    .bind(orgId, cost, capacity)
    .run();
}
