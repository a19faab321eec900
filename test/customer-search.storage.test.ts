import { applyD1Migrations, createScheduledController, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type CustomerRow, profileOf } from "../src/customer-records/customer-columns";
import { backfillSearchIndex } from "../src/customer-search/backfill";
import { indexCustomersStatements } from "../src/customer-search/search-index.repository";
import { searchStatementParts } from "../src/customer-search/search-query.repository";
import { parseQuery } from "../src/customer-search/search-text";
import worker from "../src/index";
import { customerWith, found, searchRowsOf } from "./customer-search-helpers";
import { newOrganization } from "./helpers";

/** The search structures in storage: query plans, the guard of index writes, the backfill. */

/** EXPLAIN QUERY PLAN of the search query for these filters, one detail per line. */
async function planOf(orgId: string, filters: Parameters<typeof searchStatementParts>[1], beforeSeq: number | null) {
  const { sql, params } = searchStatementParts(orgId, filters, beforeSeq, 21);
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

/** A plan that reads customers only by primary key: never a SCAN, never a range of the organization. */
function expectNoCustomerWalk(plan: string[]) {
  for (const detail of plan) {
    expect(detail, plan.join("\n")).not.toMatch(/^SCAN (c|customers)\b/);
    expect(detail, plan.join("\n")).not.toMatch(/customers_live_by_seq/);
    expect(detail, plan.join("\n")).not.toMatch(/^SCAN customer_search/);
  }
}

describe("customer search: query plans", () => {
  it("reads terms by range (a broad prefix) from the word index, customers by primary key, with and without stats", async () => {
    const { orgId, key } = await newOrganization();
    for (let index = 0; index < 30; index++) {
      await customerWith(key, {
        name: `Jenny Doe ${index}`,
        phone: `+1 555 010 ${1000 + index}`,
        metadata: { n: index },
      });
    }
    const cases = [
      { terms: parseQuery("jen"), metadata: [] },
      { terms: parseQuery("jenny.doe@exa 867-5309 a.b.c"), metadata: [["n", "3"]] as [string, string][] },
      { terms: parseQuery("jenny doe 5309"), metadata: [], createdGte: "2026-01-01T00:00:00.000Z" },
    ];
    for (const stats of [false, true]) {
      if (stats) await env.DB.prepare("ANALYZE").run();
      for (const filters of cases) {
        for (const before of [null, 20]) {
          const plan = await planOf(orgId, filters, before);
          expectNoCustomerWalk(plan);
          expect(plan.join("\n")).toMatch(/SEARCH c USING INTEGER PRIMARY KEY \(rowid=\?\)/);
          expect(plan.join("\n")).toMatch(/customer_search_words_by_word \(org_id=\? AND word>\? AND word<\?\)/);
        }
      }
    }
  });

  it("reads a metadata-only page from the metadata key range, in order, with no sort", async () => {
    const { orgId, key } = await newOrganization();
    for (let index = 0; index < 10; index++) await customerWith(key, { metadata: { plan: "pro", n: index } });
    const filters = {
      terms: [],
      metadata: [
        ["plan", "pro"],
        ["n", "3"],
      ] as [string, string][],
      email: "x@example.com",
    };
    for (const stats of [false, true]) {
      if (stats) await env.DB.prepare("ANALYZE").run();
      for (const before of [null, 5]) {
        const plan = await planOf(orgId, filters, before);
        expectNoCustomerWalk(plan);
        expect(plan[0]).toMatch(/^SEARCH m USING PRIMARY KEY \(org_id=\? AND key=\? AND value=\?/);
        // Each customer by its rowid (through the email index when that filter is on).
        expect(plan.join("\n")).toMatch(/SEARCH c USING .*rowid=\?\)/);
        expect(plan.join("\n")).not.toMatch(/TEMP B-TREE/);
      }
    }
  });
});

describe("customer search: backups", () => {
  it("holds no virtual table, so wrangler d1 export takes the database as it is", async () => {
    const { results } = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%' OR name LIKE 'customer_search%'",
    ).all<{ name: string }>();
    expect(results.map((row) => row.name).sort()).toEqual([
      "customer_search_backfill",
      "customer_search_metadata",
      "customer_search_metadata_by_customer",
      "customer_search_words",
      "customer_search_words_by_word",
    ]);
  });
});

describe("customer search: index writes", () => {
  it("are guarded by the values they were computed from: stale values write nothing", async () => {
    const { orgId, key } = await newOrganization();
    const id = await customerWith(key, { name: "Current Name", metadata: { v: "now" } });
    const row = await env.DB.prepare("SELECT * FROM customers WHERE id = ?1").bind(id).first<CustomerRow>();
    if (!row) throw new Error("no row");
    const before = await searchRowsOf(id);
    const stale = { ...profileOf(row), name: "Stale Name", metadata: { v: "then" } };
    await env.DB.batch(indexCustomersStatements(env.DB, [{ orgId, id, profile: stale }]));
    expect(await searchRowsOf(id)).toEqual(before);
    expect(await found(key, "stale")).toEqual([]);
    // The current values rewrite the same rows.
    await env.DB.batch(indexCustomersStatements(env.DB, [{ orgId, id, profile: profileOf(row) }]));
    expect(await searchRowsOf(id)).toEqual(before);
  });
});

const SEARCH_MIGRATION = "0015_create_customer_search.sql";

/** Resets storage to the schema before search, as a deployment upgrading to it has. */
async function databaseBeforeSearch() {
  await reset();
  await applyD1Migrations(
    env.DB,
    env.TEST_MIGRATIONS.filter((migration) => migration.name < SEARCH_MIGRATION),
  );
}

/** A customers row as the release before search wrote it. */
async function insertOldCustomer(
  orgId: string,
  id: string,
  fields: { name?: string; phone?: string },
  archived = false,
) {
  const now = "2026-01-01T00:00:00.000Z";
  await env.DB.prepare(
    `INSERT INTO customers (org_id, id, name, phone, metadata, created_at, updated_at, archived_at)
     VALUES (?1, ?2, ?3, ?4, '{"legacy":true}', ?5, ?5, ?6)`,
  )
    .bind(orgId, id, fields.name ?? null, fields.phone ?? null, now, archived ? now : null)
    .run();
}

describe("customer search: customers from before the upgrade", () => {
  it("are found once the scheduled handler has run the backfill; archived ones are not", async () => {
    await databaseBeforeSearch();
    const { orgId, key } = await newOrganization();
    await insertOldCustomer(orgId, "old-jose", { name: "José Álvarez", phone: "+34 600 111 222" });
    await insertOldCustomer(orgId, "old-gone", { name: "José Gone" }, true);
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    expect(await found(key, "jose")).toEqual([]);

    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/30 * * * *" }), env);
    expect(await found(key, "jose")).toEqual(["old-jose"]);
    expect(await found(key, "álv")).toEqual(["old-jose"]);
    expect(await found(key, "1222")).toEqual(["old-jose"]);
    expect(await searchRowsOf("old-gone")).toEqual([]);
    const progress = await env.DB.prepare("SELECT finished_at FROM customer_search_backfill").first<{
      finished_at: string | null;
    }>();
    expect(progress?.finished_at).toEqual(expect.any(String));
  });

  it("resumes where it stopped, batch after batch, across organizations; a finished walk does nothing", async () => {
    await databaseBeforeSearch();
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    for (let index = 0; index < 5; index++) {
      await insertOldCustomer(acme.orgId, `acme-${index}`, { name: `Walker ${index}` });
      await insertOldCustomer(globex.orgId, `globex-${index}`, { name: `Walker ${index}` });
    }
    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
    const now = new Date();
    // A budget of 0 ms: one batch per run, as a run that ran out of time would leave it.
    const runs = [];
    for (let run = 0; run < 10; run++) {
      const result = await backfillSearchIndex(env.DB, now, { batchSize: 3, budgetMs: 0 });
      runs.push(result);
      if (result.finished) break;
    }
    expect(runs.map((run) => run.indexed)).toEqual([3, 3, 3, 1]);
    expect(runs.at(-1)?.finished).toBe(true);
    expect((await found(acme.key, "walker")).sort()).toEqual([0, 1, 2, 3, 4].map((index) => `acme-${index}`));
    expect((await found(globex.key, "walker")).sort()).toEqual([0, 1, 2, 3, 4].map((index) => `globex-${index}`));
    expect(await backfillSearchIndex(env.DB, now)).toEqual({ indexed: 0, finished: true });
  });

  it("has nothing to do on a database that had no customers", async () => {
    expect(await backfillSearchIndex(env.DB, new Date())).toEqual({ indexed: 0, finished: true });
  });
});
