/**
 * Optimistic writes (read, compute, write if the version is unchanged) lose when another
 * write lands in between; each loser re-reads and tries again. Many writers on one record
 * take one round each, so the budget is generous, and a short jittered pause spreads them out.
 */
export const MAX_WRITE_ATTEMPTS = 30;

export async function pauseBeforeRetry(attempt: number): Promise<void> {
  if (attempt === 0) return;
  await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20, attempt * 2)));
}
