import { ApiError } from "./errors";

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

/** A round's verdict that another writer got in between and nothing was written: read again. */
export const GO_ROUND: unique symbol = Symbol("go round");

/**
 * Runs `round` (read, decide, write guarded by what it read) until it returns an answer instead
 * of `GO_ROUND`, at most `MAX_WRITE_ATTEMPTS` times with a jittered pause between rounds. A
 * record that kept changing through every round is a retryable `503 storage_unavailable`:
 * nothing was written. `what` names it: `{ record: "customer", change: "archive" }`.
 */
export async function retryWhileChanging<T>(
  what: { record: string; change: string },
  round: () => Promise<T | typeof GO_ROUND>,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    await pauseBeforeRetry(attempt);
    const result = await round();
    if (result !== GO_ROUND) return result;
  }
  throw new ApiError("storage_unavailable", `The ${what.record} kept changing during this ${what.change}; retry.`);
}
