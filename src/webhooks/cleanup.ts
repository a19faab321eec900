import { clearExpiredPreviousSecrets, deleteWebhookMessagesReceivedBefore } from "./webhooks.repository";

/** Senders retry a message for about three days; its id must be remembered at least that long. */
export const WEBHOOK_ID_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;
/** Rows per DELETE, and DELETEs per run: one run's work is bounded; the rest waits for the next. */
export const CLEANUP_BATCH_SIZE = 500;
export const CLEANUP_MAX_BATCHES = 20;

/**
 * The webhooks' part of the scheduled cleanup: forgets webhook ids past the retention (in
 * bounded batches), and erases previous secrets whose 24 hours are over (they no longer
 * verify anyway). Nothing younger than that at `now` is touched.
 */
export async function cleanUpWebhooks(
  env: Env,
  now = new Date(),
): Promise<{ webhookIdsForgotten: number; previousSecretsErased: number }> {
  const cutoff = new Date(now.getTime() - WEBHOOK_ID_RETENTION_MS).toISOString();
  let webhookIdsForgotten = 0;
  for (let batch = 0; batch < CLEANUP_MAX_BATCHES; batch++) {
    const count = await deleteWebhookMessagesReceivedBefore(env.DB, cutoff, CLEANUP_BATCH_SIZE);
    webhookIdsForgotten += count;
    if (count < CLEANUP_BATCH_SIZE) break;
  }
  const previousSecretsErased = await clearExpiredPreviousSecrets(env.DB, now.toISOString());
  return { webhookIdsForgotten, previousSecretsErased };
}
