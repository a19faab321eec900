import type { Background } from "../lib/background";
import type { RequestDb } from "../lib/db";
import { followUp } from "../lib/follow-up";
import { randomToken } from "../lib/ids";
import type { Answer, AnswerKeeper } from "../lib/kept-answer";
import { logError } from "../lib/logger";
import {
  assertClaimHeldStatement,
  claimWebhookMessage,
  completeWebhookMessageStatement,
  findWebhookMessageState,
  type MessageClaim,
  releaseWebhookMessage,
} from "./webhooks.repository";

/**
 * A claim still 'processing' after this long belongs to a Worker that died mid-event; the
 * sender's next retry takes it over instead of being told "duplicate" forever. Re-applying
 * is safe: provisioning is an idempotent upsert, and archiving an archived customer is a no-op.
 */
export const CLAIM_ABANDONED_AFTER_MS = 60_000;

/**
 * What became of a delivery: its work ran (`value`), another delivery of the id already
 * applied it (`duplicate`), or another delivery is applying it right now (`in_progress`: if
 * that one fails, it releases the id, so this sender's retry must not be told it is done).
 */
export type MessageOutcome<T> = { status: "ran"; value: T } | { status: "duplicate" | "in_progress" };

/**
 * Runs `work` for a webhook id at most once per endpoint. `work` is given the statements that
 * record the id as processed (with its answer) for the batch that applies the event, so no
 * crash can leave the event applied but the id unrecorded; an outcome that changed nothing is
 * recorded after it (`answerOf`). If `work` throws, the claim is released so a retry can run
 * it; `work` throws only for failures worth retrying.
 * Recording an outcome that changed nothing is follow-up work (`followUp`): should D1 refuse
 * it, the answer stands, and the claim, left 'processing', makes a redelivery wait until it
 * counts as abandoned and apply it again (safe: nothing was changed).
 */
export async function oncePerMessage<T>(
  db: RequestDb,
  endpointId: string,
  messageId: string,
  work: (keep: AnswerKeeper) => Promise<T>,
  answerOf: (value: T) => Answer,
  background: Background,
): Promise<MessageOutcome<T>> {
  const claim: MessageClaim = { endpointId, messageId, token: randomToken(24) };
  const now = Date.now();
  const claimed = await claimWebhookMessage(
    db,
    claim,
    new Date(now).toISOString(),
    new Date(now - CLAIM_ABANDONED_AFTER_MS).toISOString(),
  );
  if (!claimed) {
    // Gone again (released by a failed attempt) also means "not done": the retry claims it.
    const state = await findWebhookMessageState(db, endpointId, messageId);
    return { status: state === "processed" ? "duplicate" : "in_progress" };
  }

  const keep: AnswerKeeper = (answer, committed) => [
    assertClaimHeldStatement(db, claim),
    completeWebhookMessageStatement(db, claim, new Date().toISOString(), JSON.stringify(answer.body), committed),
  ];
  let value: T;
  try {
    value = await work(keep);
  } catch (error) {
    await releaseWebhookMessage(db, claim).catch((releaseError: unknown) => {
      // The claim stays until it counts as abandoned; the sender's retries take it over then.
      logError("could not release a webhook claim", {
        endpoint_id: endpointId,
        error: releaseError instanceof Error ? releaseError.name : "unknown",
      });
    });
    throw error;
  }
  // Already processed when the event's batch recorded it: then this changes nothing. A retry
  // runs after the response: on a session of its own, not the request's.
  const result = JSON.stringify(answerOf(value).body);
  const completed = new Date().toISOString();
  await followUp(background, (attempt) =>
    completeWebhookMessageStatement(attempt === 0 ? db : db.forBackground(), claim, completed, result).run(),
  );
  return { status: "ran", value };
}
