import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { describeError, logError } from "../lib/logger";
import {
  type CompletedKeyRow,
  findIdempotencyKey,
  type IdempotencyKeyRow,
  insertLock,
  type Lock,
  renewLock,
  takeOverExpiredKey,
} from "./idempotency.repository";

/** A lock whose request never finished (the Worker died) is dead this long after its last renewal. */
export const LOCK_TIMEOUT_MS = 60 * 1000;

/** How often a running request renews its lock: well inside LOCK_TIMEOUT_MS, so one late renewal is harmless. */
export const LOCK_RENEWAL_MS = 20 * 1000;

/** Rounds of insert / read / take over before giving up: each lost round means another request moved first. */
const MAX_CLAIM_ATTEMPTS = 3;

export type Claim =
  /** This request holds the key and runs; `replaced` is the expired row it took over, if any. */
  | { kind: "owned"; lock: Lock; replaced: IdempotencyKeyRow | null }
  /** The same request already completed: replay it. */
  | { kind: "completed"; row: CompletedKeyRow };

const inProgress = () =>
  new ApiError(
    "idempotency_request_in_progress",
    "A request with this Idempotency-Key is still being processed; retry after it has finished.",
  );

const reused = () =>
  new ApiError(
    "idempotency_key_reused",
    "This Idempotency-Key was used with a different method, path, query or body; use a new key for a new request.",
  );

function newLock(orgId: string, keyHash: string, fingerprint: string): Lock {
  const now = Date.now();
  return {
    orgId,
    keyHash,
    fingerprint,
    token: crypto.randomUUID(),
    lockedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + LOCK_TIMEOUT_MS).toISOString(),
  };
}

/**
 * Decides, in D1, what this request is for its key: the owner (the key is new, or its row
 * expired and was taken over), a replay, a reuse with another fingerprint (422) or a
 * duplicate of a request still running (409). The unique row decides every race.
 */
export async function claimKey(db: Db, orgId: string, keyHash: string, fingerprint: string): Promise<Claim> {
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    const lock = newLock(orgId, keyHash, fingerprint);
    if (await insertLock(db, lock)) return { kind: "owned", lock, replaced: null };
    const row = await findIdempotencyKey(db, orgId, keyHash);
    // Released (a 5xx) or purged between the insert and the read: try again.
    if (row === null) continue;
    // Past its time the row counts as absent, whatever request it was for.
    if (row.expires_at <= lock.lockedAt) {
      if (await takeOverExpiredKey(db, lock, row.lock_token)) return { kind: "owned", lock, replaced: row };
      continue;
    }
    if (row.fingerprint !== fingerprint) throw reused();
    if (row.state === "running") throw inProgress();
    return { kind: "completed", row: row as CompletedKeyRow };
  }
  throw inProgress();
}

/**
 * Keeps this request's lock alive while it runs (a 1,000-item import with a slow DNS resolver
 * can outlast LOCK_TIMEOUT_MS, and a retry must then still see it in progress, not take it
 * over and run again): every LOCK_RENEWAL_MS the lock expires LOCK_TIMEOUT_MS from then.
 * Renewals run one after another; `stop` ends them and waits for one under way. A renewal
 * that fails is logged and the next one tries again; one that finds the lock gone stops.
 */
export function keepLockAlive(db: Db, lock: Lock, everyMs = LOCK_RENEWAL_MS): { stop: () => Promise<void> } {
  let pending: Promise<void> = Promise.resolve();
  let stopped = false;
  const renew = async () => {
    if (stopped) return;
    try {
      if (!(await renewLock(db, lock, new Date(Date.now() + LOCK_TIMEOUT_MS).toISOString()))) stop();
    } catch (error) {
      logError("could not renew an Idempotency-Key lock", { error: describeError(error) });
    }
  };
  const timer = setInterval(() => {
    pending = pending.then(renew);
  }, everyMs);
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return {
    stop: async () => {
      stop();
      await pending;
    },
  };
}
