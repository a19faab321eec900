import { randomToken } from "../lib/ids";
import { logError } from "../lib/logger";
import {
  claimWebhookMessage,
  completeWebhookMessage,
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
 * Runs `work` for a webhook id at most once per endpoint (null: another delivery of the id
 * has it, or had it). If `work` throws, the claim is released so a retry can run it; `work`
 * throws only for failures worth retrying.
 */
export async function oncePerMessage<T>(
  db: D1Database,
  endpointId: string,
  messageId: string,
  work: () => Promise<T>,
): Promise<{ value: T } | null> {
  const claim: MessageClaim = { endpointId, messageId, token: randomToken(24) };
  const now = Date.now();
  const claimed = await claimWebhookMessage(
    db,
    claim,
    new Date(now).toISOString(),
    new Date(now - CLAIM_ABANDONED_AFTER_MS).toISOString(),
  );
  if (!claimed) return null;

  let value: T;
  try {
    value = await work();
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
  await completeWebhookMessage(db, claim, new Date().toISOString());
  return { value };
}
