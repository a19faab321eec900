/** The deployment's `[vars]` for the email DNS check, as the Worker's `env` carries them. */
export type EmailDnsVars = {
  /** "true" turns the check on; anything else (or unset) leaves it off. */
  EMAIL_DNS_VALIDATION?: string;
  /** DNS-over-HTTPS JSON endpoint. */
  EMAIL_DNS_RESOLVER_URL?: string;
  /** Budget in milliseconds for the whole check of one domain (MX, then A/AAAA). */
  EMAIL_DNS_TIMEOUT_MS?: string;
};

export type EmailDnsConfig = { enabled: boolean; resolverUrl: string; timeoutMs: number };

export const DEFAULT_RESOLVER_URL = "https://cloudflare-dns.com/dns-query";
export const DEFAULT_TIMEOUT_MS = 1500;
/** An out-of-range setting falls back to the default rather than stalling writes. */
const MAX_TIMEOUT_MS = 10_000;

export function emailDnsConfig(vars: EmailDnsVars): EmailDnsConfig {
  const timeout = Number(vars.EMAIL_DNS_TIMEOUT_MS);
  return {
    enabled: vars.EMAIL_DNS_VALIDATION?.trim().toLowerCase() === "true",
    resolverUrl: vars.EMAIL_DNS_RESOLVER_URL?.trim() || DEFAULT_RESOLVER_URL,
    timeoutMs: Number.isInteger(timeout) && timeout > 0 && timeout <= MAX_TIMEOUT_MS ? timeout : DEFAULT_TIMEOUT_MS,
  };
}
