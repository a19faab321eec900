import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { type CallOptions, call } from "./helpers";
import { d1DyingAfterCommit } from "./storage-doubles";

/** Shared by the crash-safety*.test.ts files (issue 21: a Worker killed right after a change committed). */

export function keyed<T>(method: string, path: string, idempotencyKey: string, options: CallOptions = {}) {
  return call<T>(method, path, { ...options, headers: { ...options.headers, "Idempotency-Key": idempotencyKey } });
}

/** What a lock left by a dead Worker looks like 60 s later: expired, so a retry may take it over. */
export async function expireLocks(orgId: string, idempotencyKey: string) {
  await env.DB.prepare(
    "UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE org_id = ?1 AND key_hash = ?2 AND state = 'running'",
  )
    .bind(orgId, await sha256Hex(idempotencyKey))
    .run();
}

export const count = async (sql: string, ...values: unknown[]) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${sql}`)
      .bind(...values)
      .first<{ n: number }>()
  )?.n ?? -1;

/**
 * Sends `method path` with a key on a D1 that dies right after the batch matching `commit`,
 * then retries it on a healthy one. Returns both answers.
 */
export async function crashThenRetry(
  orgId: string,
  key: string,
  request: { method: string; path: string; body?: unknown },
  commit: RegExp,
) {
  const idempotencyKey = `crash-${crypto.randomUUID()}`;
  const dying = d1DyingAfterCommit(env.DB, commit);
  const options = { key, body: request.body, checkDocument: false };
  const first = await keyed(request.method, request.path, idempotencyKey, {
    ...options,
    env: { ...env, DB: dying.db },
  });
  expect(dying.died()).toBe(true);
  await expireLocks(orgId, idempotencyKey);
  const retry = await keyed(request.method, request.path, idempotencyKey, options);
  return { first, retry };
}
