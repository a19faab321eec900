// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token for POST /v1/organizations. Unset: the admin route refuses everything. */
  ADMIN_TOKEN?: string;
}
