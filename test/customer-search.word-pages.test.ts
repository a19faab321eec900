import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CustomerRow } from "../src/customer-records/customer-columns";
import {
  driverWordsStatement,
  MAX_DRIVER_WORDS,
  type SearchFilters,
  searchLive,
  searchStatementParts,
} from "../src/customer-search/search-query.repository";
import { parseQuery } from "../src/customer-search/search-text";
import { customerWith, walkSearch } from "./customer-search-helpers";
import { call, customerPath, ids, newOrganization } from "./helpers";

/**
 * A page read word by word (the driving term's exact words, one ordered arm each, merged): the
 * same pages as the range read, no sort whatever the term's size, and exact under writes.
 */

type Statement = { sql: string; params: unknown[] };

const planOf = async ({ sql, params }: Statement) =>
  (
    await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>()
  ).results.map((row) => row.detail);

const seqsOf = async ({ sql, params }: Statement) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .all<CustomerRow>()
  ).results.map((row) => row.seq);

/** The driving term's words as the index holds them, per prefix (what searchLive learns). */
async function wordsOf(orgId: string, filters: SearchFilters): Promise<string[][]> {
  const lookup = driverWordsStatement(orgId, filters);
  if (lookup === null) return [];
  const { results } = await env.DB.prepare(lookup.sql)
    .bind(...lookup.params)
    .all<{ way: number; word: string }>();
  return Array.from({ length: lookup.ways }, (_, way) =>
    results.filter((row) => row.way === way).map((row) => row.word),
  );
}

const filtersOf = (q: string, more: Partial<SearchFilters> = {}): SearchFilters => ({
  terms: parseQuery(q),
  metadata: [],
  ...more,
});

describe("customer search: pages read word by word", () => {
  it("read a broad word newest first with no sort, its words found by seeks, with and without stats", async () => {
    const { orgId, key } = await newOrganization();
    for (let index = 0; index < 24; index++) {
      await customerWith(key, {
        name: `Tanaka ${index % 2 === 0 ? "Tanaka" : "Tango"} ${index}`,
        metadata: { n: index % 3 },
      });
    }
    const cases: SearchFilters[] = [
      filtersOf("tanaka"),
      filtersOf("tan"),
      filtersOf("tanaka", { metadata: [["n", "1"]] }),
      filtersOf("tango", { createdGte: "2026-01-01T00:00:00.000Z" }),
      filtersOf("tanaka 12"),
    ];
    for (const stats of [false, true]) {
      if (stats) await env.DB.prepare("ANALYZE").run();
      for (const filters of cases) {
        const words = await wordsOf(orgId, filters);
        expect(words.flat().length).toBeGreaterThan(0);
        for (const before of [null, 9]) {
          const page = searchStatementParts(orgId, filters, before, 21, words);
          expect(page.byWords).toBe(true);
          const plan = (await planOf(page)).join("\n");
          expect(plan).not.toMatch(/TEMP B-TREE/);
          expect(plan).not.toMatch(/^SCAN (c|customers|customer_search\w*)\b/m);
          expect(plan).toMatch(/SEARCH w USING COVERING INDEX customer_search_words_by_word \(org_id=\? AND word=\?/);
          expect(plan).toMatch(/SEARCH c USING INTEGER PRIMARY KEY \(rowid=\?\)/);
          if (words.flat().length > 1) expect(plan).toMatch(/MERGE \(UNION\)/);
        }
        const lookup = driverWordsStatement(orgId, filters);
        if (lookup === null) throw new Error("a one-word term has a prefix");
        for (const detail of await planOf(lookup)) {
          expect(detail).not.toMatch(/^SCAN (x|customer_search\w*)\b/);
          expect(detail).not.toMatch(/TEMP B-TREE/);
        }
      }
    }
  });

  it("serve the same pages as the range read: prefixes, repeats, phrases, phones, filters, cursors", async () => {
    const { orgId, key } = await newOrganization();
    const names = ["Tanaka Tanaka", "Tango Tan", "Tan-Tan Co", "Ann Tanaka", "Tanya", "Bob Tan", "Other"];
    for (const [index, name] of names.entries()) {
      await customerWith(key, {
        name,
        phone: `+1 555 010 ${5300 + (index % 3)}`,
        metadata: { odd: index % 2 === 1 },
        ...(index % 2 === 0 ? { email: `tan${index}@example.com` } : {}),
      });
    }
    // "tan" covers more words than one compound SELECT may hold: the arms merge in groups.
    expect((await wordsOf(orgId, filtersOf("tan"))).flat().length).toBeGreaterThan(5);
    const cases: SearchFilters[] = [
      filtersOf("tan"),
      filtersOf("TAN"),
      filtersOf("tanaka"),
      filtersOf("tan-tan"),
      filtersOf("5300"),
      filtersOf("010-5301"),
      filtersOf("tan example"),
      filtersOf("tan", { metadata: [["odd", "true"]] }),
      filtersOf("tan", { createdLt: "2999-01-01T00:00:00.000Z" }),
      filtersOf("nobody"),
    ];
    for (const filters of cases) {
      const words = await wordsOf(orgId, filters);
      for (const limit of [1, 2, 3, 21]) {
        for (const before of [null, 1_000_000, 4]) {
          const byRange = searchStatementParts(orgId, filters, before, limit);
          const byWords = searchStatementParts(orgId, filters, before, limit, words);
          const name = `${JSON.stringify(filters)} limit ${limit} before ${before}`;
          expect(await seqsOf(byWords), name).toEqual(await seqsOf(byRange));
        }
      }
    }
  });

  it(`pages a prefix of more than ${MAX_DRIVER_WORDS} words through the range read, and one of a few by words`, async () => {
    const { key } = await newOrganization();
    const many: string[] = [];
    for (let index = 0; index < MAX_DRIVER_WORDS + 3; index++) {
      many.push(await customerWith(key, { name: `Zed zq${index}x` }));
    }
    const pages = await walkSearch(key, { q: "zq", limit: 8 });
    expect(pages.flatMap(ids)).toEqual([...many].reverse());
    const few = await walkSearch(key, { q: "zq1", limit: 2 });
    expect(few.flatMap(ids)).toEqual(many.filter((_, index) => String(index).startsWith("1")).reverse());
  });

  it("is exact when the term's words change between its reads: a customer renamed within the prefix stays", async () => {
    const { orgId, key } = await newOrganization();
    const renamed = await customerWith(key, { name: "Renata Tanaka" });
    const other = await customerWith(key, { name: "Rolf Tango" });
    // A handle that renames the customer (tanaka → tanakax: still "tan…") after the first batch.
    let batches = 0;
    const db = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: async <T>(statements: D1PreparedStatement[]) => {
        const results = await env.DB.batch<T>(statements);
        if (batches++ === 0) {
          const patched = await call("PATCH", customerPath(renamed), { key, body: { name: "Renata Tanakax" } });
          expect(patched.status, patched.text).toBe(200);
        }
        return results;
      },
    };
    const page = await searchLive(db, orgId, filtersOf("tan"), null, 10);
    expect(page.map((row) => row.id)).toEqual([other, renamed]);
    expect(batches).toBe(3);
  });
});
