import { sha256Hex } from "./crypto";

/**
 * Every KV key Roster writes is built here, under one versioned prefix, so a change of
 * value format can move to `v2:` without reading old entries. Raw caller values never appear
 * in a key: an alternative ID can be 1,024 UTF-8 bytes (KV's limit is 512) and may be PII.
 */
const PREFIX = "v1";

export const kvKeys = {
  /** alternative ID → customer id. Value: the customer id. TTL: ALTERNATIVE_ID_TTL_SECONDS. */
  async alternativeId(orgId: string, alternativeId: string): Promise<string> {
    return `${PREFIX}:altid:${orgId}:${await sha256Hex(alternativeId)}`;
  },
  /**
   * Email domain → DNS check verdict (src/email-dns). Not per organization: DNS answers are the
   * same for everyone. Keyed by the lowercased domain (domains are not secret); anything that
   * is not a plain LDH name of at most 253 characters is hashed, so the key stays under 512 bytes.
   */
  async emailDomain(domain: string): Promise<string> {
    const name = domain.toLowerCase();
    return /^[a-z0-9.-]{1,253}$/.test(name)
      ? `${PREFIX}:emaildns:${name}`
      : `${PREFIX}:emaildns:sha256:${await sha256Hex(name)}`;
  },
  /**
   * Idempotency-Key → the kept response (replay cache; src/idempotency). Value: JSON of the
   * fingerprint, status, headers and body. TTL: until the D1 row's retention ends (≤ 24 h).
   * Takes the key's SHA-256, never the key: archive finds the entries from D1, which keeps
   * only the hash.
   */
  idempotentReplay(orgId: string, keySha256: string): string {
    return `${PREFIX}:idem:${orgId}:${keySha256}`;
  },
  /**
   * A live API key, by its secret's SHA-256 (lib/live-credentials.ts): read only for an address
   * over its failure budget. Value "1". No TTL: removed when the key is revoked.
   */
  liveApiKey(keySha256: string): string {
    return `${PREFIX}:live:key:${keySha256}`;
  },
  /** An existing webhook endpoint (lib/live-credentials.ts). Value "1". No TTL: removed when it is deleted. */
  liveWebhookEndpoint(endpointId: string): string {
    return `${PREFIX}:live:we:${endpointId}`;
  },
  /**
   * A console session that was signed out (src/console): its cookie stays refused even if a
   * copy of it is sent again. Value: "1". TTL: the rest of the session's 12-hour lifetime.
   */
  consoleSignedOut(sessionId: string): string {
    return `${PREFIX}:console-signout:${sessionId}`;
  },
};

/** Entries expire on their own, so one orphaned by a lost write cannot linger. */
export const ALTERNATIVE_ID_TTL_SECONDS = 24 * 60 * 60;
