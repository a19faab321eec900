import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmailDomainChecker, type EmailDnsEnv } from "../src/email-dns";

// One request's DNS lookups share a time budget: past it, every check fails open at once.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("email DNS time budget per request", () => {
  it("stops looking up once the request's budget is spent, failing open without naming a domain", async () => {
    const hang = vi.spyOn(globalThis, "fetch").mockImplementation(() => new Promise<Response>(() => {}));
    const errorLog = vi.spyOn(console, "error").mockImplementation(() => {});
    const slow: EmailDnsEnv = { ...env, EMAIL_DNS_VALIDATION: "true", EMAIL_DNS_TIMEOUT_MS: "40" };
    const check = createEmailDomainChecker(slow, { background: () => {}, budgetMs: 100 });

    const domains = Array.from({ length: 20 }, (_, i) => `user@domain-${i}.example`);
    for (const email of domains) await expect(check(email)).resolves.toBeUndefined();

    // Without a budget each of the 20 domains would wait out its own timeout.
    expect(hang.mock.calls.length).toBeLessThan(domains.length / 2);
    const lines = errorLog.mock.calls.map((args: unknown[]) => String(args[0]));
    const spent = lines.filter((line) => line.includes("budget is spent"));
    expect(spent).toHaveLength(1);
    expect(spent[0]).not.toContain("domain-");
  });
});
