import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_IMPORT_ITEMS_PER_MINUTE } from "../src/customers/import-budget";
import { MAX_IMPORT_ITEMS } from "../src/customers/provision.schemas";
import { claimImportBudget } from "../src/organizations/import-budget.repository";
import { call, expectProblem, newOrganization } from "./helpers";
import type { ImportResult } from "./response-types";

// Spec section 7: one organization cannot degrade another. A 1,000-item import is the request
// that holds D1 (and, locally, the Worker) longest, so each organization's imports draw on a
// budget of items: a bucket of one full import that refills at IMPORT_ITEMS_PER_MINUTE.

const items = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, index) => ({ alternative_id: `${prefix}-${index}` }));

const importItems = (
  key: string,
  n: number,
  prefix: string,
  options: { env?: Env; headers?: Record<string, string> } = {},
) => call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers: items(n, prefix) }, ...options });

const customers = async (orgId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM customers WHERE org_id = ?1").bind(orgId).first<{ n: number }>())?.n;

/** Moves the organization's last claim `ms` into the past, as if that much time had gone by. */
const age = (orgId: string, ms: number) =>
  env.DB.prepare("UPDATE organizations SET import_refilled_at = import_refilled_at - ?2 WHERE id = ?1")
    .bind(orgId, ms)
    .run();

describe("an organization's import budget", () => {
  it("is what wrangler.toml deploys: 6,000 items a minute, one full import at once", () => {
    expect(env.IMPORT_ITEMS_PER_MINUTE).toBe(String(DEFAULT_IMPORT_ITEMS_PER_MINUTE));
    expect(DEFAULT_IMPORT_ITEMS_PER_MINUTE).toBe(6_000);
    expect(MAX_IMPORT_ITEMS).toBe(1_000);
  });

  it("admits a full import, then refuses the next with 429 and Retry-After until it refills", async () => {
    const { key, orgId } = await newOrganization();
    const first = await importItems(key, 1000, "a");
    expect(first.status, first.text).toBe(200);
    expect(first.body.created).toBe(1000);

    const refused = await importItems(key, 1000, "b");
    const problem = expectProblem(refused, 429, "rate_limited");
    // 1,000 items at 100 a second: about ten seconds, less what refilled since the first.
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(9);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(problem.detail).toContain("6,000 items a minute");
    expect(problem.detail).toContain(`in ${retryAfter} seconds`);
    expect(await customers(orgId)).toBe(1000);

    // A small import fits in what refilled meanwhile only once enough time has passed.
    await age(orgId, 2_000);
    const small = await importItems(key, 150, "c");
    expect(small.status, small.text).toBe(200);
    expectProblem(await importItems(key, 150, "d"), 429, "rate_limited");

    await age(orgId, 10_000);
    const later = await importItems(key, 1000, "b");
    expect(later.status, later.text).toBe(200);
    expect(await customers(orgId)).toBe(2150);
  });

  it("is each organization's own: another one imports while the first waits", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    expect((await importItems(a.key, 1000, "a")).status).toBe(200);
    expectProblem(await importItems(a.key, 1000, "a2"), 429, "rate_limited");
    const neighbour = await importItems(b.key, 1000, "b");
    expect(neighbour.status, neighbour.text).toBe(200);
    expect(await customers(b.orgId)).toBe(1000);
  });

  it("lets exactly one of two concurrent imports spend the last of it", async () => {
    const { key, orgId } = await newOrganization();
    const answers = await Promise.all([importItems(key, 600, "x"), importItems(key, 600, "y")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429]);
    expect(await customers(orgId)).toBe(600);
  });

  it("counts every item sent, refused ones included", async () => {
    const { key, orgId } = await newOrganization();
    const invalid = Array.from({ length: 900 }, () => ({ email: "not an email" }));
    const answer = await call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers: invalid } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.failed).toBe(900);
    expectProblem(await importItems(key, 200, "after"), 429, "rate_limited");
    expect(await customers(orgId)).toBe(0);
  });

  it("does not keep a refusal under its Idempotency-Key: the retry after Retry-After imports", async () => {
    const { key, orgId } = await newOrganization();
    expect((await importItems(key, 1000, "a")).status).toBe(200);
    const headers = { "Idempotency-Key": "import-budget-retry" };
    expectProblem(await importItems(key, 500, "k", { headers }), 429, "rate_limited");
    await age(orgId, 10_000);
    const retried = await importItems(key, 500, "k", { headers });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.created).toBe(500);
    expect(await customers(orgId)).toBe(1500);
  });

  it("refills at the deployment's IMPORT_ITEMS_PER_MINUTE", async () => {
    const { key } = await newOrganization();
    const fast = { ...env, IMPORT_ITEMS_PER_MINUTE: "60000" };
    expect((await importItems(key, 1000, "a", { env: fast })).status).toBe(200);
    const refused = await importItems(key, 1000, "b", { env: fast });
    expectProblem(refused, 429, "rate_limited");
    // 1,000 items at 1,000 a second.
    expect(refused.headers.get("Retry-After")).toBe("1");
  });
});

describe("claimImportBudget (the bucket in D1)", () => {
  const shape = { capacity: 1000, perMillisecond: 0.1 };

  it("never holds more than one full import, however long the organization was idle", async () => {
    const { orgId } = await newOrganization();
    const t0 = 1_800_000_000_000;
    expect(await claimImportBudget(env.DB, orgId, 1000, "c1", t0, shape)).toEqual({ admitted: true });
    // A day later the bucket is full again, not a day's worth of items.
    const dayLater = t0 + 86_400_000;
    expect(await claimImportBudget(env.DB, orgId, 1000, "c2", dayLater, shape)).toEqual({ admitted: true });
    expect(await claimImportBudget(env.DB, orgId, 1, "c3", dayLater, shape)).toEqual({ admitted: false, available: 0 });
    // 100 items a second: 250 ms later, 25 of them.
    expect(await claimImportBudget(env.DB, orgId, 30, "c4", dayLater + 250, shape)).toEqual({
      admitted: false,
      available: 25,
    });
    expect(await claimImportBudget(env.DB, orgId, 25, "c5", dayLater + 250, shape)).toEqual({ admitted: true });
  });

  it("touches only its own organization's row", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    await claimImportBudget(env.DB, a.orgId, 1000, "a1", Date.now(), shape);
    const row = await env.DB.prepare("SELECT import_tokens, import_claim_id FROM organizations WHERE id = ?1")
      .bind(b.orgId)
      .first();
    expect(row).toEqual({ import_tokens: null, import_claim_id: null });
  });
});
