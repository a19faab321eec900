import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { purgeExpiredIdempotencyKeys } from "../src/idempotency/cleanup";
import worker from "../src/index";
import { PURGE_BATCH_SIZE } from "../src/lib/batched-purge";
import { cleanUpWebhooks } from "../src/webhooks/cleanup";
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

/** A D1 binding that records how many rows each DELETE removed. */
function countingBatches(db: D1Database, batches: number[]): D1Database {
  return new Proxy(db, {
    get(target, name) {
      if (name !== "prepare") {
        const member = Reflect.get(target, name);
        return typeof member === "function" ? member.bind(target) : member;
      }
      return (sql: string) => {
        const statement = target.prepare(sql);
        if (!sql.trim().startsWith("DELETE")) return statement;
        return {
          bind: (...values: unknown[]) => {
            const bound = statement.bind(...values);
            return {
              run: async () => {
                const result = await bound.run();
                batches.push(result.meta.changes);
                return result;
              },
            };
          },
        };
      };
    },
  });
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

  it("one run keeps deleting until nothing expired is left (far more than the old 10,000-row cap)", async () => {
    const { orgId } = await newOrganization();
    const now = Date.now();
    await insertExpiredRows(orgId, 20 * PURGE_BATCH_SIZE + 7, now - MINUTE);
    await insertKeyRow(orgId, "live", "completed", now + MINUTE);

    await runScheduled(now);
    expect(await remainingKeyHashes()).toEqual(["live"]);
  });

  it("goes batch after batch through more rows than one batch, and reports no backlog", async () => {
    const { orgId } = await newOrganization();
    const now = Date.now();
    await insertExpiredRows(orgId, 23, now - MINUTE);
    const batches: number[] = [];
    const result = await purgeExpiredIdempotencyKeys(countingBatches(env.DB, batches), new Date(now), { batchSize: 5 });
    expect(result).toEqual({ deleted: 23, backlog: 0 });
    expect(batches).toEqual([5, 5, 5, 5, 3]);
    expect(await remainingKeyHashes()).toEqual([]);
  });

  it("stops when its time budget is spent and reports the backlog it leaves", async () => {
    const { orgId } = await newOrganization();
    const now = Date.now();
    await insertExpiredRows(orgId, 23, now - MINUTE);
    // Every look at the clock is 4 ms later: a 10 ms budget allows three batches.
    let clock = 0;
    const options = { batchSize: 5, budgetMs: 10, clock: () => (clock += 4) };
    expect(await purgeExpiredIdempotencyKeys(env.DB, new Date(now), options)).toEqual({ deleted: 15, backlog: 8 });
    expect(await remainingKeyHashes()).toHaveLength(8);

    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 17)
       INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
       SELECT 'we_X', 'msg_' || i, 'processed', 't', ?1, ?1 FROM n`,
    )
      .bind(new Date(now - 4 * 24 * 60 * MINUTE).toISOString())
      .run();
    clock = 0;
    const webhooks = await cleanUpWebhooks(env.DB, new Date(now), options);
    expect(webhooks).toMatchObject({ webhookIdsForgotten: 15, webhookIdsBacklog: 2 });
  });

  it("logs the backlog a run leaves (counts only)", async () => {
    const { orgId } = await newOrganization();
    await insertExpiredRows(orgId, 3, Date.now() - MINUTE);
    const logged: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => {
      logged.push(line);
    });
    try {
      await runScheduled(Date.now());
    } finally {
      spy.mockRestore();
    }
    const idempotency = logged.map((line) => JSON.parse(line)).find((entry) => entry.cleanup === "idempotency_keys");
    expect(JSON.parse(idempotency.result)).toEqual({ deleted: 3, backlog: 0 });
  });

  it("a cleanup that fails fails the run", async () => {
    await env.DB.prepare("DROP TABLE idempotency_keys").run();
    await expect(runScheduled(Date.now())).rejects.toThrow(/idempotency_keys/);
  });
});
