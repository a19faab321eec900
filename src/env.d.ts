// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token for POST /v1/organizations. Unset: the admin route refuses everything. */
  ADMIN_TOKEN?: string;
  /** HMAC key for remembering archived alternative IDs (refusing late webhook events). */
  ALTERNATIVE_ID_HASH_KEY?: string;
  /** Signs /console session cookies: 32 random bytes in base64. Unset: the console says it is not configured. */
  CONSOLE_SESSION_KEY?: string;
}
