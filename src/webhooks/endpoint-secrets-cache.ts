import type { Db } from "../lib/db";
import { ExpiringLru } from "../lib/expiring-lru";
import { findWebhookEndpointSecrets, type WebhookEndpointSecrets } from "./webhooks.repository";

export type { WebhookEndpointSecrets };

/**
 * Intake's per-isolate memo of endpoints' secrets, and of endpoint ids that do not exist, so a
 * flood of deliveries (signed or not, to real or made-up ids) is not a flood of D1 reads.
 *
 * Freshness: an entry is used for at most ENDPOINT_SECRETS_TTL_MS. Rotating or deleting an
 * endpoint drops its entry in the isolate that served the request at once; other isolates keep
 * verifying a deleted endpoint's secret, or answering 404 for an id created meanwhile, for at
 * most that long. A signature that does not match the cached secrets is checked once more
 * against D1 (intake does that), so a new secret works at once everywhere.
 */
export const ENDPOINT_SECRETS_TTL_MS = 5_000;
export const MAX_CACHED_ENDPOINTS = 10_000;

const endpoints = new ExpiringLru<string, WebhookEndpointSecrets | null>(MAX_CACHED_ENDPOINTS, ENDPOINT_SECRETS_TTL_MS);

export type LoadedEndpoint = { endpoint: WebhookEndpointSecrets | null; fromCache: boolean };

/** The endpoint's secrets (null: no such endpoint), from this isolate's memo when fresh. */
export function cachedEndpointSecrets(id: string): LoadedEndpoint | undefined {
  const endpoint = endpoints.get(id);
  return endpoint === undefined ? undefined : { endpoint, fromCache: true };
}

/** Reads the endpoint from D1 and remembers the answer (also "no such endpoint"). */
export async function loadEndpointSecrets(db: Db, id: string): Promise<LoadedEndpoint> {
  const endpoint = await findWebhookEndpointSecrets(db, id);
  endpoints.set(id, endpoint);
  return { endpoint, fromCache: false };
}

/** After an endpoint is created, rotated or deleted: this isolate reads it from D1 next time. */
export function forgetEndpointSecrets(id: string): void {
  endpoints.delete(id);
}
