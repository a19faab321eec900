import { ExpiringLru } from "../lib/expiring-lru";

/**
 * The cheap half of authentication: tokens that cannot be a Roster key are refused without
 * hashing or storage, and hashes D1 just answered "unknown or revoked" for are remembered for a
 * short while in this isolate, so the same wrong key sent again and again is one D1 query per
 * UNKNOWN_KEY_TTL_MS, not one per request.
 *
 * Only hashes that were tried are remembered: a key created later works at once for every
 * caller who had not sent it before (a caller who sent it before its creation waits out the
 * lifetime). A revoked key stays refused.
 */

/**
 * What a Roster key looks like: `rk_` and 20–64 of [A-Za-z0-9_]. Minted keys are `rk_` + 40
 * base62 characters (api-keys.repository.ts); the local development key
 * (`rk_dev_local_development_key`, scripts/seed-dev.sql) and the benchmark's keys have
 * underscores, and fit too.
 */
const API_KEY_SHAPE = /^rk_[A-Za-z0-9_]{20,64}$/;

export const couldBeApiKey = (token: string) => API_KEY_SHAPE.test(token);

/** How long an unknown hash is remembered: short, so a caller's own mistake heals quickly. */
export const UNKNOWN_KEY_TTL_MS = 30_000;
/** Bounds the memo (64-character hashes: about 1 MB at most). */
export const MAX_UNKNOWN_KEYS = 10_000;

const unknownKeys = new ExpiringLru<string, true>(MAX_UNKNOWN_KEYS, UNKNOWN_KEY_TTL_MS);

export const isKnownUnknownKey = (keyHash: string) => unknownKeys.has(keyHash);

export const rememberUnknownKey = (keyHash: string) => unknownKeys.set(keyHash, true);
