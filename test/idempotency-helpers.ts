import { env } from "cloudflare:workers";
import { findIdempotencyKey, type IdempotencyKeyRow } from "../src/idempotency/idempotency.repository";
import { sha256Hex } from "../src/lib/crypto";
import { kvKeys } from "../src/lib/kv-keys";
import { EXAMPLE_PII } from "./fixtures";
import { type CallOptions, call } from "./helpers";

/** Shared by the idempotency.*.test.ts files: keyed requests and what D1 and KV keep for a key. */

export const PROFILE = {
  ...EXAMPLE_PII,
  language: "en",
  metadata: { plan: "pro" },
};

/** One request with an Idempotency-Key; `T` is the body the test reads (none by default). */
export function keyed<T = unknown>(method: string, path: string, idempotencyKey: string, options: CallOptions = {}) {
  return call<T>(method, path, { ...options, headers: { ...options.headers, "Idempotency-Key": idempotencyKey } });
}

export async function keyRow(orgId: string, idempotencyKey: string): Promise<IdempotencyKeyRow | null> {
  return findIdempotencyKey(env.DB, orgId, await sha256Hex(idempotencyKey));
}

export async function replayCacheKey(orgId: string, idempotencyKey: string): Promise<string> {
  return kvKeys.idempotentReplay(orgId, await sha256Hex(idempotencyKey));
}

export async function cachedReplay(orgId: string, idempotencyKey: string): Promise<string | null> {
  return env.KV.get(await replayCacheKey(orgId, idempotencyKey));
}

export async function customerCount(orgId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE org_id = ?1")
    .bind(orgId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

export async function keyRowCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys").first<{ n: number }>();
  return row?.n ?? -1;
}

/**
 * Turns a completed key back into a lock taken `ageMs` ago whose request has not finished
 * (what a Worker that died mid-request leaves), and empties the replay cache for it.
 */
export async function makeRunning(orgId: string, idempotencyKey: string, ageMs: number): Promise<void> {
  const lockedAt = Date.now() - ageMs;
  await env.DB.prepare(
    `UPDATE idempotency_keys SET state = 'running', completed_at = NULL, status = NULL, headers = NULL, body = NULL,
       customer_id = NULL, pii_path = NULL, locked_at = ?3, expires_at = ?4
     WHERE org_id = ?1 AND key_hash = ?2`,
  )
    .bind(
      orgId,
      await sha256Hex(idempotencyKey),
      new Date(lockedAt).toISOString(),
      new Date(lockedAt + 60_000).toISOString(),
    )
    .run();
  await env.KV.delete(await replayCacheKey(orgId, idempotencyKey));
}
