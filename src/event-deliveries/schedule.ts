/**
 * Delays before each retry after a failed attempt (spec §10): after the first failure 5 s,
 * then 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. An attempt failing after the last retry makes
 * the delivery `failed`: 8 attempts in all, over about 27.6 hours.
 */
export const RETRY_DELAYS_SECONDS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** The delay before the next attempt after attempt number `attempt` (1-based) failed; null when none is left. */
export const retryDelayAfter = (attempt: number): number | null => RETRY_DELAYS_SECONDS[attempt - 1] ?? null;
