import type { Background } from "../lib/background";
import { ApiError } from "../lib/errors";
import { logError } from "../lib/logger";
import { readVerdict, writeVerdict } from "./cache";
import { type EmailDnsVars, emailDnsConfig } from "./config";
import { decide, type Verdict } from "./decide";
import { queryDns, ResolverError } from "./resolver";

export { EMAIL_DNS_NEGATIVE_TTL_SECONDS, EMAIL_DNS_POSITIVE_TTL_SECONDS } from "./cache";
export { DEFAULT_RESOLVER_URL, DEFAULT_TIMEOUT_MS, type EmailDnsVars } from "./config";

/** What the check needs from the Worker's `Env` (which has all of it). */
export type EmailDnsEnv = { KV: KVNamespace } & EmailDnsVars;

export type EmailDomainCheckOptions = {
  /** The request's `skip_email_dns_validation`: true skips the check (no KV read, no lookup). */
  skip?: boolean;
  /** JSON Pointer of the email in the request body, for the 422's `errors`. Default `/email`. */
  pointer?: string;
};

export type EmailDomainCheckerOptions = {
  /** Runs the KV cache write after the response (`c.executionCtx.waitUntil`). */
  background: Background;
  /**
   * Total time the checker's lookups may take, from its first lookup (default
   * REQUEST_BUDGET_MS, never less than the per-domain timeout). Past it every lookup fails
   * open at once.
   */
  budgetMs?: number;
};

/**
 * The DNS time one request may spend, all its lookups together: a 1,000-item import against a
 * slow resolver must not take 1,000 × EMAIL_DNS_TIMEOUT_MS (nor outlive its Idempotency-Key lock).
 */
export const REQUEST_BUDGET_MS = 5_000;

/** Checks one email; resolves when it passes (or the check is off, skipped or failed open). */
export type EmailDomainCheck = (email: string | null | undefined, options?: EmailDomainCheckOptions) => Promise<void>;

/**
 * The email DNS check of one request (README, "Configuration"): when `EMAIL_DNS_VALIDATION` is "true", the
 * email's domain must have an MX record or, failing that, an A or AAAA record.
 *
 * Resolves when the domain passes, when the check is off, when `skip` is true, when the email
 * is null/undefined, and when the resolver fails or times out (fail open: one log line with
 * the domain, never the local part). Throws `ApiError("email_domain_unresolvable")` (422) with
 * `errors: [{ pointer, detail }]` when DNS definitely says the domain takes no mail.
 * Verdicts are cached in KV (24 h ok, 1 h unresolvable; failures never), so a cached domain
 * makes no outbound request.
 */
export function checkEmailDomain(
  env: EmailDnsEnv,
  email: string | null | undefined,
  options: EmailDomainCheckOptions & EmailDomainCheckerOptions,
): Promise<void> {
  return createEmailDomainChecker(env, options)(email, options);
}

/**
 * A check to call for many emails in one request (bulk import): each domain is read from KV
 * and looked up at most once per checker, and a failure is logged once. Every uncached domain
 * costs up to three outbound requests, which count against the Worker's subrequest limit;
 * past it, lookups fail and the check fails open.
 */
export function createEmailDomainChecker(env: EmailDnsEnv, options: EmailDomainCheckerOptions): EmailDomainCheck {
  const config = emailDnsConfig(env);
  /** domain → its verdict, or null when the check failed open for it. */
  const verdicts = new Map<string, Promise<Verdict | null>>();
  const budget = lookupBudget(Math.max(options.budgetMs ?? REQUEST_BUDGET_MS, config.timeoutMs));

  return async (email, { skip = false, pointer = "/email" } = {}) => {
    if (!config.enabled || skip || email === null || email === undefined) return;
    const domain = emailDomain(email);
    if (domain === null) return; // not an address: the schema reports that, not this check

    let verdict = verdicts.get(domain);
    if (!verdict) {
      verdict = verdictFor(env, domain, config.resolverUrl, config.timeoutMs, budget, options.background);
      verdicts.set(domain, verdict);
    }
    const result = await verdict;
    if (result === null || result === "ok") return;
    throw new ApiError("email_domain_unresolvable", `The email domain '${domain}' ${EXPLANATIONS[result]}.`, {
      errors: [{ pointer, detail: `domain ${EXPLANATIONS[result]}` }],
    });
  };
}

const EXPLANATIONS: Record<Exclude<Verdict, "ok">, string> = {
  nxdomain: "does not exist in DNS",
  null_mx: "accepts no mail (it publishes a null MX record)",
  no_address: "has no MX, A or AAAA record",
};

/** The lowercased domain after the last `@`, without a trailing root dot; null if there is none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf("@");
  if (at < 0) return null;
  const domain = email
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, "");
  return domain === "" ? null : domain;
}

type LookupBudget = {
  /** Aborts when the budget is spent (started by the first lookup); null once it is. */
  signal: () => AbortSignal | null;
  /** Logs, once per request, that lookups are failing open for want of time. */
  noteSpent: () => void;
};

function lookupBudget(budgetMs: number): LookupBudget {
  let signal: AbortSignal | null = null;
  let logged = false;
  return {
    signal: () => {
      signal ??= AbortSignal.timeout(budgetMs);
      return signal.aborted ? null : signal;
    },
    noteSpent: () => {
      if (logged) return;
      logged = true;
      // No domain: this line speaks for every lookup the request skips.
      logError("email DNS check failed open: the request's DNS time budget is spent", { budget_ms: budgetMs });
    },
  };
}

async function verdictFor(
  env: EmailDnsEnv,
  domain: string,
  resolverUrl: string,
  timeoutMs: number,
  budget: LookupBudget,
  background: Background,
): Promise<Verdict | null> {
  const cached = await readVerdict(env.KV, domain);
  if (cached !== null) return cached;

  const remaining = budget.signal();
  if (remaining === null) {
    budget.noteSpent();
    return null;
  }
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), remaining]);
  const startedAt = Date.now();
  let verdict: Verdict;
  try {
    verdict = await decide((type) => queryDns(resolverUrl, domain, type, signal));
  } catch (error) {
    const failure = error instanceof ResolverError ? error : null;
    // Never the domain: with a small company's domain, it names the customer.
    logError("email DNS check failed open", {
      reason: failure?.reason ?? "unexpected",
      record_type: failure?.recordType,
      http_status: failure?.httpStatus,
      dns_status: failure?.dnsStatus,
      timeout_ms: timeoutMs,
      duration_ms: Date.now() - startedAt,
    });
    return null;
  }
  background(writeVerdict(env.KV, domain, verdict));
  return verdict;
}
