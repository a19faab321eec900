import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { importBudgetCapacity } from "../src/customers/import-budget";
import { DEFAULT_IMPORT_ITEMS_PER_MINUTE, MAX_IMPORT_ITEMS } from "../src/customers/provision.schemas";
import { claimImportBudget, refundImportBudget } from "../src/organizations/import-budget.repository";
import { createDestination } from "./events-helpers";
import { call, expectProblem, newOrganization } from "./helpers";
import type { ImportResult } from "./response-types";

// Spec section 7: one organization cannot degrade another. A 1,000-item import is the request
// that holds D1 (and, locally, the Worker) longest, so each organization's imports draw on a
// budget of items: a bucket of one full import that refills at IMPORT_ITEMS_PER_MINUTE.
// The tests set the bucket's state before each assertion that depends on it, so that how long
// an import takes on a loaded machine cannot change what they see.

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

/** The bucket as it is `ago` ms after a claim that left `tokens` (the refill since then is the bucket's). */
const setBucket = (orgId: string, tokens: number, ago = 0) =>
  env.DB.prepare("UPDATE organizations SET import_tokens = ?2, import_refilled_at = ?3 WHERE id = ?1")
    .bind(orgId, tokens, Date.now() - ago)
    .run();

const tokensOf = async (orgId: string) =>
  (
    await env.DB.prepare("SELECT import_tokens FROM organizations WHERE id = ?1")
      .bind(orgId)
      .first<{ import_tokens: number | null }>()
  )?.import_tokens;

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
    expect(await tokensOf(orgId)).toBeLessThan(1000);

    await setBucket(orgId, 0);
    const refused = await importItems(key, 1000, "b");
    const problem = expectProblem(refused, 429, "rate_limited");
    // 1,000 items at 100 a second: ten seconds (nine once a second has refilled).
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(9);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(problem.detail).toContain("6,000 items a minute");
    expect(problem.detail).toContain(`in ${retryAfter} seconds`);
    expect(await customers(orgId)).toBe(1000);

    // Two seconds after an empty bucket: 200 items, enough for 150 but not for 250.
    await setBucket(orgId, 0, 2_000);
    expect((await importItems(key, 150, "c")).status).toBe(200);
    await setBucket(orgId, 0, 2_000);
    expectProblem(await importItems(key, 250, "d"), 429, "rate_limited");

    // Ten seconds: full again.
    await setBucket(orgId, 0, 10_000);
    const later = await importItems(key, 1000, "b");
    expect(later.status, later.text).toBe(200);
    expect(await customers(orgId)).toBe(2150);
  });

  it("is each organization's own: another one imports while the first waits", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    await setBucket(a.orgId, 0);
    expectProblem(await importItems(a.key, 1000, "a"), 429, "rate_limited");
    const neighbour = await importItems(b.key, 1000, "b");
    expect(neighbour.status, neighbour.text).toBe(200);
    expect(await customers(b.orgId)).toBe(1000);
  });

  it("lets exactly one of two concurrent imports spend the last of it", async () => {
    const { key, orgId } = await newOrganization();
    await setBucket(orgId, 700);
    const answers = await Promise.all([importItems(key, 600, "x"), importItems(key, 600, "y")]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429]);
    expect(await customers(orgId)).toBe(600);
  });

  it("counts every item sent, invalid ones included", async () => {
    const { key, orgId } = await newOrganization();
    await setBucket(orgId, 1000);
    const started = Date.now();
    const invalid = Array.from({ length: 900 }, () => ({ email: "not an email" }));
    const answer = await call<ImportResult>("POST", "/v1/customers/import", { key, body: { customers: invalid } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.failed).toBe(900);
    // 100 left, plus at most what refilled while the import ran (100 a second).
    expect(await tokensOf(orgId)).toBeLessThanOrEqual(100 + (Date.now() - started) * 0.1 + 1);
    expect(await customers(orgId)).toBe(0);
  });

  it("gives the items back when the import is refused whole (413): the parts can follow at once", async () => {
    const { key, orgId } = await newOrganization();
    for (let index = 0; index < 11; index++) await createDestination(key);
    await setBucket(orgId, 1000);
    // 1,000 customer.created events × 11 destinations: past the 10,000-delivery cap.
    expectProblem(await importItems(key, 1000, "big"), 413, "import_fan_out_too_large");
    expect(await tokensOf(orgId)).toBe(1000);
    // Sent in two halves right away, as the 413 says: both within the budget.
    expect((await importItems(key, 500, "half-1")).status).toBe(200);
    expect((await importItems(key, 500, "half-2")).status).toBe(200);
    expect(await customers(orgId)).toBe(1000);
  });

  it("does not keep a refusal under its Idempotency-Key: the retry after Retry-After imports", async () => {
    const { key, orgId } = await newOrganization();
    const headers = { "Idempotency-Key": "import-budget-retry" };
    await setBucket(orgId, 0);
    expectProblem(await importItems(key, 500, "k", { headers }), 429, "rate_limited");
    await setBucket(orgId, 0, 10_000);
    const retried = await importItems(key, 500, "k", { headers });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.created).toBe(500);
    expect(await customers(orgId)).toBe(500);
  });

  it("refills at the deployment's IMPORT_ITEMS_PER_MINUTE; a setting that is not a positive number means the default", async () => {
    const { key, orgId } = await newOrganization();
    const retryAfterWith = async (perMinute: string) => {
      await setBucket(orgId, 0);
      const refused = await importItems(key, 1000, "b", { env: { ...env, IMPORT_ITEMS_PER_MINUTE: perMinute } });
      expectProblem(refused, 429, "rate_limited");
      return Number(refused.headers.get("Retry-After"));
    };
    // 1,000 items at 600 a minute: 100 s (99 once a second has refilled).
    expect(await retryAfterWith("600")).toBeGreaterThanOrEqual(99);
    for (const unusable of ["0", "-5", "off", ""]) {
      const seconds = await retryAfterWith(unusable);
      expect(seconds).toBeGreaterThanOrEqual(9);
      expect(seconds).toBeLessThanOrEqual(10);
    }
  });
});

describe("a budget raised for a migration", () => {
  it("holds ten seconds of its rate, so several clients import at once", async () => {
    expect(importBudgetCapacity(6_000)).toBe(1_000);
    expect(importBudgetCapacity(600)).toBe(1_000);
    expect(importBudgetCapacity(120_000)).toBe(20_000);
    const { key, orgId } = await newOrganization();
    const raised = { ...env, IMPORT_ITEMS_PER_MINUTE: "120000" };
    const answers = await Promise.all([1, 2, 3, 4].map((part) => importItems(key, 1000, `m${part}`, { env: raised })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(await customers(orgId)).toBe(4000);
    // At the deployed rate the same bucket holds one import's worth again.
    await setBucket(orgId, 20_000);
    expect((await importItems(key, 1000, "d1")).status).toBe(200);
    expectProblem(await importItems(key, 1000, "d2"), 429, "rate_limited");
  });
});

describe("claimImportBudget and refundImportBudget (the bucket in D1)", () => {
  const shape = { capacity: 1000, perMillisecond: 0.1 };
  const t0 = 1_800_000_000_000;

  it("never holds more than one full import, however long the organization was idle", async () => {
    const { orgId } = await newOrganization();
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

  it("never moves its clock back: a claim from a Worker whose clock is behind adds nothing", async () => {
    const { orgId } = await newOrganization();
    expect(await claimImportBudget(env.DB, orgId, 1000, "c1", t0 + 5_000, shape)).toEqual({ admitted: true });
    // A clock 5 s behind claims (no refill), and must not rewind the bucket's time …
    expect(await claimImportBudget(env.DB, orgId, 1, "c2", t0, shape)).toEqual({ admitted: false, available: 0 });
    // … or the next claim at t0 + 5 s would be credited the 5 s it never waited: 500 items.
    expect(await claimImportBudget(env.DB, orgId, 1, "c3", t0 + 5_000, shape)).toEqual({
      admitted: false,
      available: 0,
    });
  });

  it("refunds up to a full bucket, never past it", async () => {
    const { orgId } = await newOrganization();
    await claimImportBudget(env.DB, orgId, 600, "c1", t0, shape);
    await refundImportBudget(env.DB, orgId, 600, 1000);
    expect(await tokensOf(orgId)).toBe(1000);
    await refundImportBudget(env.DB, orgId, 600, 1000);
    expect(await tokensOf(orgId)).toBe(1000);
  });

  it("touches only its own organization's row", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    await claimImportBudget(env.DB, a.orgId, 1000, "a1", Date.now(), shape);
    await refundImportBudget(env.DB, a.orgId, 10, 1000);
    const row = await env.DB.prepare("SELECT import_tokens, import_claim_id FROM organizations WHERE id = ?1")
      .bind(b.orgId)
      .first();
    expect(row).toEqual({ import_tokens: null, import_claim_id: null });
  });
});
