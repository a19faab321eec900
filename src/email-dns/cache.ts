import { kvKeys } from "../lib/kv-keys";
import { logError } from "../lib/logger";
import type { Verdict } from "./decide";

/** A domain that resolves rarely stops; one that does not may be fixed soon. KV's minimum is 60 s. */
export const EMAIL_DNS_POSITIVE_TTL_SECONDS = 24 * 60 * 60;
export const EMAIL_DNS_NEGATIVE_TTL_SECONDS = 60 * 60;

const VERDICTS: ReadonlySet<string> = new Set<Verdict>(["ok", "nxdomain", "null_mx", "no_address"]);

/** The cached verdict, or null on a miss, an unknown value or a KV error (then DNS decides). */
export async function readVerdict(kv: KVNamespace, domain: string): Promise<Verdict | null> {
  try {
    const value = await kv.get(await kvKeys.emailDomain(domain));
    return value !== null && VERDICTS.has(value) ? (value as Verdict) : null;
  } catch {
    return null;
  }
}

/** Stores a definite verdict (never a resolver failure); a failed write only costs a later lookup. */
export async function writeVerdict(kv: KVNamespace, domain: string, verdict: Verdict): Promise<void> {
  const expirationTtl = verdict === "ok" ? EMAIL_DNS_POSITIVE_TTL_SECONDS : EMAIL_DNS_NEGATIVE_TTL_SECONDS;
  try {
    await kv.put(await kvKeys.emailDomain(domain), verdict, { expirationTtl });
  } catch (error) {
    // Never the domain (it can name the customer).
    logError("email DNS check: could not cache a verdict", {
      verdict,
      error: error instanceof Error ? error.name : "unknown",
    });
  }
}
