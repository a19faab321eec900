// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token for POST /v1/organizations. Unset: the admin route refuses everything. */
  ADMIN_TOKEN?: string;
  /** HMAC key for remembering archived alternative IDs (refusing late webhook events). */
  ALTERNATIVE_ID_HASH_KEY?: string;
  /** Signs /console session cookies: 32 random bytes in base64. Unset: the console says it is not configured. */
  CONSOLE_SESSION_KEY?: string;
  /**
   * AES-256-GCM key for payment gateway secret keys at rest: 32 random bytes in base64
   * (`openssl rand -base64 32`). Unset: every money route answers 503 configuration_missing.
   */
  GATEWAY_ENCRYPTION_KEY?: string;
  /** During a key rotation only: the key stored secrets were encrypted with before (docs/money.md). */
  GATEWAY_ENCRYPTION_KEY_PREVIOUS?: string;
}
