import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import {
  type CompletedKeyRow,
  findIdempotencyKey,
  type IdempotencyKeyRow,
  insertLock,
  type Lock,
  takeOverExpiredKey,
} from "./idempotency.repository";

/** A lock whose request never finished (the Worker died) is dead after this long. */
export const LOCK_TIMEOUT_MS = 60 * 1000;

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
