import type { Background } from "./background";

/** Attempts of one piece of follow-up work, and the pause before the first retry (doubling). */
export const FOLLOW_UP_ATTEMPTS = 6;
const FIRST_PAUSE_MS = 50;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Work that must happen after a change committed (cache clean-up), which no failure may turn
 * into an error answer: the change is done, and a 5xx would tell the caller it was not. The
 * first attempt runs now, so in the usual case the work is finished when the response leaves;
 * if it fails, the retries (with doubling pauses, about 1.5 s in all, well inside the
 * runtime's `waitUntil` allowance) go to `background`, whose last failure is logged. Work
 * must be idempotent; it is told which attempt it is (0: before the response), so a retry can
 * take storage meant for after the response. The returned promise never rejects.
 */
export async function followUp(background: Background, work: (attempt: number) => Promise<unknown>): Promise<void> {
  try {
    await work(0);
    return;
  } catch (firstError) {
    background(retry(work, firstError));
  }
}

async function retry(work: (attempt: number) => Promise<unknown>, firstError: unknown): Promise<void> {
  let lastError = firstError;
  for (let attempt = 1; attempt < FOLLOW_UP_ATTEMPTS; attempt++) {
    await pause(FIRST_PAUSE_MS * 2 ** (attempt - 1));
    try {
      await work(attempt);
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
