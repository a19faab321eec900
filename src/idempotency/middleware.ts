import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { inBackground } from "../lib/background";
import { sha256Hex } from "../lib/crypto";
import { describeError, logError } from "../lib/logger";
import type { AppEnv } from "../lib/types";
import { requestFingerprint } from "./fingerprint";
import { parseIdempotencyKey } from "./header";
import { completeKey, type Lock, releaseLock } from "./idempotency.repository";
import { keepableResponse, replayResponse } from "./kept-response";
import { claimKey, keepLockAlive } from "./lock";
import { cacheReplay, forgetCachedReplay, keptOf, readCachedReplay, type Storage } from "./replay-cache";

/** How long a final response is kept for replays. */
export const RETENTION_MS = 24 * 60 * 60 * 1000;

const NO_BODY = new Uint8Array();

const background = (c: Context<AppEnv>, task: Promise<unknown>) =>
  inBackground(c, "idempotency replay cache update")(task);

/** The cache fill runs after the response, in its own session on the primary (its redaction check needs the latest state). */
const backgroundStorage = (c: Context<AppEnv>): Storage => ({ db: c.get("db").forBackground(), kv: c.env.KV });

/**
 * Idempotency-Key (README, "Retries and idempotency") for tenant writes: runs after authentication, the rate
 * limit and the body reader, before validators, so a validation failure is a final response
 * that is kept like any other. Without the header the request runs as if this were not here.
 */
export const idempotencyKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = parseIdempotencyKey(c.req.header("Idempotency-Key"));
  if (key === null) return next();

  const orgId = c.get("orgId");
  const keyHash = await sha256Hex(key);
  // DELETE routes read no body: theirs counts as empty.
  const fingerprint = await requestFingerprint(c.req.method, c.req.url, c.get("rawBody") ?? NO_BODY);

  // A replay from KV needs no D1 round trip; anything but an exact match is D1's to decide.
  const cached = await readCachedReplay(c.env.KV, orgId, keyHash);
  if (cached?.fingerprint === fingerprint) return replayResponse(cached);

  const claim = await claimKey(c.get("db"), orgId, keyHash, fingerprint);
  if (claim.kind === "completed") {
    background(c, cacheReplay(backgroundStorage(c), claim.row));
    return replayResponse(keptOf(claim.row));
  }
  // KV's copy of an expired response expires no later than its row; dropping it is a safety net.
  if (claim.replaced?.state === "completed") await forgetCachedReplay(c.env.KV, orgId, keyHash).catch(() => {});

  const renewal = keepLockAlive(c.get("db"), claim.lock);
  try {
    await next();
  } finally {
    await renewal.stop();
  }
  // Under waitUntil too: a client that hangs up must not leave the key locked until it expires.
  const settled = keepOrRelease(c, claim.lock);
  inBackground(c, "idempotency key completion")(settled);
  await settled;
});

/**
 * After the handler: keeps a final response (status < 500), or releases the key so a retry
 * runs again. Storage trouble here never changes the response the caller gets: the work was
 * done (or not) already, and the lock, if it stays, dies after 60 seconds.
 */
async function keepOrRelease(c: Context<AppEnv>, lock: Lock): Promise<void> {
  try {
    const keepable = c.res.status < 500 ? await keepableResponse(c.res) : null;
    if (!keepable) {
      await releaseLock(c.get("db"), lock);
      return;
    }
    const { kept, subject } = keepable;
    const now = Date.now();
    const row = await completeKey(
      c.get("db"),
      lock,
      { status: kept.status, headers: JSON.stringify(kept.headers), body: kept.body },
      subject,
      new Date(now).toISOString(),
      new Date(now + RETENTION_MS).toISOString(),
    );
    if (!row) {
      logError("idempotency lock lost before the response was kept", { request_id: c.get("requestId") });
      return;
    }
    background(c, cacheReplay(backgroundStorage(c), row));
  } catch (error) {
    logError("could not keep or release an idempotent response", {
      request_id: c.get("requestId"),
      error: describeError(error),
    });
  }
}
