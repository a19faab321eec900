import { type PurgeOptions, purgeInBatches } from "../lib/batched-purge";
import type { Db } from "../lib/db";
import {
  clearExpiredPreviousSecrets,
  countWebhookMessagesReceivedBefore,
  deleteWebhookMessagesReceivedBefore,
} from "./webhooks.repository";

/** Senders retry a message for about three days; its id must be remembered at least that long. */
export const WEBHOOK_ID_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * The webhooks' part of the scheduled cleanup: forgets webhook ids past the retention (in
 * batches, until none is left or the time budget is spent; the rest is reported as the
 * backlog), and erases previous secrets whose 24 hours are over (they no longer verify
 * anyway). Nothing younger than that at `now` is touched.
 */
export async function cleanUpWebhooks(
  db: Db,
  now = new Date(),
  options: PurgeOptions = {},
): Promise<{ webhookIdsForgotten: number; webhookIdsBacklog: number; previousSecretsErased: number }> {
  const cutoff = new Date(now.getTime() - WEBHOOK_ID_RETENTION_MS).toISOString();
  const ids = await purgeInBatches(
    (limit) => deleteWebhookMessagesReceivedBefore(db, cutoff, limit),
    () => countWebhookMessagesReceivedBefore(db, cutoff),
    options,
  );
  const previousSecretsErased = await clearExpiredPreviousSecrets(db, now.toISOString());
  return { webhookIdsForgotten: ids.deleted, webhookIdsBacklog: ids.backlog, previousSecretsErased };
}
