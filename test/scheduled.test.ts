import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CLEANUP_BATCH_SIZE, CLEANUP_MAX_BATCHES } from "../src/idempotency/cleanup";
import worker from "../src/index";
import { call, newOrganization } from "./helpers";

const MINUTE = 60_000;

/** The Worker's own scheduled handler, as the Cron Trigger calls it, at `scheduledTime`. */
async function runScheduled(scheduledTime: number): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/30 * * * *" }), env);
}

async function insertKeyRow(orgId: string, keyHash: string, state: "running" | "completed", expiresAt: number) {
  await env.DB.prepare(
    `INSERT INTO idempotency_keys (org_id, key_hash, fingerprint, state, lock_token, locked_at, expires_at)
     VALUES (?1, ?2, 'f', ?3, ?2, ?4, ?5)`,
  )
    .bind(orgId, keyHash, state, new Date(expiresAt - MINUTE).toISOString(), new Date(expiresAt).toISOString())
    .run();
}

/** `count` expired completed rows in one statement. */
async function insertExpiredRows(orgId: string, count: number, expiresAt: number) {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
     INSERT INTO idempotency_keys (org_id, key_hash, fingerprint, state, lock_token, locked_at, expires_at)
     SELECT ?1, 'bulk-' || i, 'f', 'completed', 'bulk-' || i, ?3, ?3 FROM n`,
  )
    .bind(orgId, count, new Date(expiresAt).toISOString())
    .run();
}

async function remainingKeyHashes(): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT key_hash FROM idempotency_keys ORDER BY key_hash").all<{
    key_hash: string;
  }>();
  return results.map((row) => row.key_hash);
}

describe("the scheduled cleanup", () => {
  it("wrangler.toml's Cron Trigger reaches the Worker's scheduled handler", () => {
    expect(typeof worker.scheduled).toBe("function");
  });

  it("deletes expired kept responses and dead locks, and nothing that has not expired", async () => {
    const { orgId } = await newOrganization();
    const now = Date.now();
    await insertKeyRow(orgId, "kept-expired", "completed", now - 1);
    await insertKeyRow(orgId, "kept-expires-now", "completed", now);
    await insertKeyRow(orgId, "kept-live", "completed", now + 1);
    await insertKeyRow(orgId, "lock-dead", "running", now - 5 * MINUTE);
    await insertKeyRow(orgId, "lock-live", "running", now + 30_000);

    await runScheduled(now);

    expect(await remainingKeyHashes()).toEqual(["kept-live", "lock-live"]);
  });

  it("leaves a real, fresh kept response alone: its replay still works", async () => {
    const { key } = await newOrganization();
    const headers = { "Idempotency-Key": "fresh" };
    const first = await call("POST", "/v1/customers", { key, body: {}, headers });
    await runScheduled(Date.now());
    const again = await call("POST", "/v1/customers", { key, body: {}, headers });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    // 24 hours later it is gone.
    await runScheduled(Date.now() + 24 * 60 * MINUTE + 1000);
    expect(await remainingKeyHashes()).toEqual([]);
  });

  it("works in bounded batches: one run deletes at most its budget, the next run the rest", async () => {
    const { orgId } = await newOrganization();
    const now = Date.now();
    const budget = CLEANUP_BATCH_SIZE * CLEANUP_MAX_BATCHES;
    await insertExpiredRows(orgId, budget + 7, now - MINUTE);
    await insertKeyRow(orgId, "live", "completed", now + MINUTE);

    await runScheduled(now);
    expect(await remainingKeyHashes()).toHaveLength(8);

    await runScheduled(now);
    expect(await remainingKeyHashes()).toEqual(["live"]);
  });

  it("a cleanup that fails fails the run", async () => {
    await env.DB.prepare("DROP TABLE idempotency_keys").run();
    await expect(runScheduled(Date.now())).rejects.toThrow(/idempotency_keys/);
  });
});
