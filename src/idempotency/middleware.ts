import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { inBackground } from "../lib/background";
import { sha256Hex } from "../lib/crypto";
import type { Db } from "../lib/db";
import type { Answer, AnswerKeeper } from "../lib/kept-answer";
import { describeError, logError } from "../lib/logger";
import type { AppEnv } from "../lib/types";
import { requestFingerprint } from "./fingerprint";
import { parseIdempotencyKey } from "./header";
import {
  assertLockHeldStatement,
  type CompletedKeyRow,
  completeKey,
  completeKeyStatement,
  findKeptBy,
  type KeptRow,
  keptBodyStatement,
  type Lock,
  releaseLock,
} from "./idempotency.repository";
import { type KeptResponse, keepableAnswer, keepableResponse, type PiiSubject, replayResponse } from "./kept-response";
import { claimKey, keepLockAlive } from "./lock";
import { cacheReplay, forgetCachedReplay, keptOf, readCachedReplay, type Storage } from "./replay-cache";

/** How long a final response is kept for replays. */
export const RETENTION_MS = 24 * 60 * 60 * 1000;

const NO_BODY = new Uint8Array();

const background = (c: Context<AppEnv>, task: Promise<unknown>) =>
  inBackground(c, "idempotency replay cache update")(task);

/** The cache fill runs after the response, in its own session on the primary (its redaction check needs the latest state). */
const backgroundStorage = (c: Context<AppEnv>): Storage => ({ db: c.get("db").forBackground(), kv: c.env.KV });

/** `erasedFields`: what archiving a customer erases, for a kept body about a customer archived meanwhile. */
function keptRow(kept: KeptResponse, subject: PiiSubject | null, erasedFields: readonly string[]): KeptRow {
  const now = Date.now();
  return {
    erasedFields,
    status: kept.status,
    headers: JSON.stringify(kept.headers),
    body: kept.body,
    subject,
    completedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + RETENTION_MS).toISOString(),
  };
}

/** What a key keeps of an answer: the kept response, and whose PII it shows. */
export type Keepable = { kept: KeptResponse; subject: PiiSubject | null };

/**
 * What of an answer is kept (the API keeps the JSON answer; the console only its redirect), and
 * what archiving a customer erases (given by the caller, so this folder needs no knowledge of
 * the records): a body about a customer archived while the request ran is kept with them null.
 */
export type KeepOptions = { keepable?: (answer: Answer) => Keepable; erasedFields?: readonly string[] };

/**
 * The AnswerKeeper (lib/kept-answer.ts) of a request holding `lock`: a change's batch carries
 * the lock check and the kept answer, so the answer commits with the change or not at all.
 * `used` tells whether a write path asked for them.
 */
export function lockKeeper(
  db: Db,
  lock: Lock,
  { keepable = keepableAnswer, erasedFields = [] }: KeepOptions = {},
): { keeper: AnswerKeeper; used: () => boolean } {
  let used = false;
  const keeper: AnswerKeeper = (answer, committed) => {
    used = true;
    const { kept, subject } = keepable(answer);
    const statements = [
      assertLockHeldStatement(db, lock),
      completeKeyStatement(db, lock, keptRow(kept, subject, erasedFields), committed),
    ];
    if (answer.bodySql) statements.push(keptBodyStatement(db, lock, answer.bodySql));
    return statements;
  };
  return { keeper, used: () => used };
}

/**
 * Runs `work` holding `lock`: the request's `answerKeeper` is set (so the write paths it calls
 * keep their answer in their own batch) and the lock is renewed while it runs. `keptInBatch`
 * tells whether a write path took the keeper's statements into a batch.
 */
export async function holdingLock<T>(
  c: Context<AppEnv>,
  lock: Lock,
  work: () => Promise<T>,
  options: KeepOptions = {},
): Promise<{ value: T; keptInBatch: boolean }> {
  const { keeper, used } = lockKeeper(c.get("db"), lock, options);
  c.set("answerKeeper", keeper);
  const renewal = keepLockAlive(c.get("db"), lock);
  try {
    return { value: await work(), keptInBatch: used() };
  } finally {
    await renewal.stop();
  }
}

/**
 * Idempotency-Key (docs/idempotency.md) for tenant writes: runs after authentication, the rate
 * limit and the body reader, before validators, so a validation failure is a final response
 * that is kept like any other. Without the header the request runs as if this were not here.
 *
 * A request that changes something keeps its answer in the change's own batch (`answerKeeper`),
 * so no crash can leave a committed change whose key would run the request again; one that
 * changes nothing (a validation error, a 404, a no-op) keeps its answer here, after the handler.
 *
 * `erasedFields`: what archiving a customer erases (see `KeepOptions`).
 */
export function idempotencyKey(erasedFields: readonly string[]): MiddlewareHandler<AppEnv> {
  const middleware = createMiddleware<AppEnv>(async (c, next) => {
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

    const { keptInBatch } = await holdingLock(c, claim.lock, next, { erasedFields });
    // Under waitUntil too: a client that hangs up must not leave the key locked until it expires.
    const settled = settleAndCache(c, claim.lock, keptInBatch, erasedFields);
    inBackground(c, "idempotency key completion")(settled);
    await settled;
  });
  idempotencyMiddlewares.add(middleware);
  return middleware;
}

const idempotencyMiddlewares = new WeakSet<MiddlewareHandler<AppEnv>>();

/** Whether a route's middleware is an `idempotencyKey` (the OpenAPI document declares the header there). */
export const isIdempotencyKeyMiddleware = (handler: unknown): boolean =>
  typeof handler === "function" && idempotencyMiddlewares.has(handler as MiddlewareHandler<AppEnv>);

/**
 * Whether an answer that changed nothing is final for its key: below 500, except a 429 (a rate
 * limit, or a replay too soon), which says "later", not "this is the answer": the key is given
 * back, so the same request with the same key runs again once the limit allows.
 */
const isFinal = (status: number) => status < 500 && status !== 429;

/**
 * After the handler: a change that kept its answer in its batch is done (its row only goes to
 * the replay cache); otherwise keeps a final response (status < 500), or releases the key so a
 * retry runs again. Storage trouble here never changes the response the caller gets: the work
 * was done (or not) already, and the lock, if it stays, dies after 60 seconds.
 */
async function settleAndCache(
  c: Context<AppEnv>,
  lock: Lock,
  keptInBatch: boolean,
  erasedFields: readonly string[],
): Promise<void> {
  try {
    const keepNow = async () => (isFinal(c.res.status) ? await keepableResponse(c.res) : null);
    const row = await keepOrRelease(c, lock, keptInBatch, keepNow, erasedFields);
    if (row) background(c, cacheReplay(backgroundStorage(c), row));
  } catch (error) {
    logError("could not keep or release an idempotent response", {
      request_id: c.get("requestId"),
      error: describeError(error),
    });
  }
}

/**
 * After a request that held `lock`: the row its change's batch kept (`keptInBatch`), else the
 * answer `keepNow` gives, kept now (a request that changed nothing: nothing can be lost in
 * between), else (null: not to be kept) the key released, so the same request runs again.
 * Returns the kept row; null when released, or when the lock was lost meanwhile.
 */
export async function keepOrRelease(
  c: Context<AppEnv>,
  lock: Lock,
  keptInBatch: boolean,
  keepNow: () => Promise<Keepable | null>,
  erasedFields: readonly string[] = [],
): Promise<CompletedKeyRow | null> {
  const db = c.get("db");
  const inBatch = keptInBatch ? await findKeptBy(db, lock) : null;
  if (inBatch) return inBatch;
  const keepable = await keepNow();
  if (!keepable) {
    await releaseLock(db, lock);
    return null;
  }
  const row = await completeKey(db, lock, keptRow(keepable.kept, keepable.subject, erasedFields));
  if (!row) logError("idempotency lock lost before the response was kept", { request_id: c.get("requestId") });
  return row;
}
