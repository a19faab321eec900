import type { CustomerRow } from "../customer-records/customer-columns";
import { rowsOf, runBatch } from "../lib/batch";
import type { Db } from "../lib/db";
import { prefixEnd, type SearchTerm } from "./search-text";

/**
 * The search query (spec section 12) over the structures of migrations/0015: one keyset page of
 * the live customers that match every term and filter, newest first by seq. Never a scan of the
 * organization's customers (test/customer-search.storage.test.ts reads the plans).
 *
 * The word index's entries are ordered (org_id, word, customer_seq, …), as the table has no
 * rowid: the entries of ONE word are in seq order, so a page read word by word stops after
 * `limit + 1` matches; the entries of a prefix's range (several words) are not, so reading the
 * range means reading all of it and sorting. A page is therefore read from the driving term's
 * exact words, one ordered arm each, merged by a compound UNION (no sort). Those words are
 * learned from the index with one seek each, in the same `db.batch` (one snapshot) as the page
 * read with the words expected: when they differ, the page is read again with the words found.
 * A prefix that covers more than MAX_DRIVER_WORDS words is read as one range (`rangePage`).
 */

export type SearchFilters = {
  terms: SearchTerm[];
  /** [key, value]: the customer's metadata has `key` with this string form. */
  metadata: [string, string][];
  email?: string;
  alternativeId?: string;
  createdGte?: string;
  createdLt?: string;
};

/**
 * Terms D1 allows in one compound SELECT (SQLITE_LIMIT_COMPOUND_SELECT; a sixth is refused). More
 * arms are merged in groups of this many, each group's top `limit` then merged: two levels.
 */
const COMPOUND_TERMS = 5;
const MAX_ARMS = COMPOUND_TERMS * COMPOUND_TERMS;
/** The most distinct words a driving term's prefixes may cover to be read word by word. */
export const MAX_DRIVER_WORDS = MAX_ARMS;
/** Page reads against changing words before the range read (each is one round trip). */
const WORD_ROUNDS = 3;
/** D1's cap on a statement's bound parameters. */
const MAX_PARAMETERS = 100;

const WORD_INDEX = "customer_search_words AS w INDEXED BY customer_search_words_by_word";

/** Numbered parameters for a statement built piece by piece (`?1` is the organization). */
class Params {
  readonly values: unknown[];
  constructor(orgId: string) {
    this.values = [orgId];
  }
  add(value: unknown): string {
    this.values.push(value);
    return `?${this.values.length}`;
  }
}

const prefixRange = (column: string, prefix: string, params: Params) =>
  `${column} >= ${params.add(prefix)} AND ${column} < ${params.add(prefixEnd(prefix))}`;

/** `FROM … WHERE …` of the entries of a phrase term's first word that its other words follow. */
function phraseEntries(term: SearchTerm, params: Params, below: string): string {
  const words = term.words;
  const middle = words.slice(1, -1);
  // The first word exactly, then each next one at the next position of the same field.
  const followedBy =
    middle.length === 0
      ? ""
      : `AND NOT EXISTS (SELECT 1 FROM json_each(${params.add(JSON.stringify(middle))}) AS j
          WHERE NOT EXISTS (SELECT 1 FROM customer_search_words AS n WHERE n.org_id = ?1
            AND n.customer_seq = w.customer_seq AND n.field = w.field
            AND n.position = w.position + 1 + j.key AND n.word = j.value))`;
  return `FROM ${WORD_INDEX}
    WHERE w.org_id = ?1 AND w.word = ${params.add(words[0])}${below} ${followedBy}
      AND EXISTS (SELECT 1 FROM customer_search_words AS l WHERE l.org_id = ?1
        AND l.customer_seq = w.customer_seq AND l.field = w.field
        AND l.position = w.position + ${words.length - 1} AND ${prefixRange("l.word", words.at(-1) ?? "", params)})`;
}

const belowOf = (before: string | null) => (before === null ? "" : ` AND w.customer_seq < ${before}`);

/** The prefixes whose words a term matches by range: its one word's, its phone key's. */
const prefixesOf = (term: SearchTerm): string[] => [
  ...(term.words.length === 1 ? term.words : []),
  ...(term.phone === null ? [] : [term.phone]),
];

/** The seqs of the customers a term matches (below `before`, the cursor's seq, when given). */
function termMatches(term: SearchTerm, params: Params, before: string | null): string {
  const below = belowOf(before);
  const ways = prefixesOf(term).map(
    (prefix) => `SELECT w.customer_seq AS seq FROM ${WORD_INDEX} WHERE w.org_id = ?1
      AND ${prefixRange("w.word", prefix, params)}${below}`,
  );
  if (term.words.length > 1) ways.unshift(`SELECT w.customer_seq AS seq ${phraseEntries(term, params, below)}`);
  return ways.length === 1 ? (ways[0] ?? "") : `SELECT seq FROM (${ways.join(" UNION ")})`;
}

/** The customer `seq` (an SQL expression) has metadata `key` with this string form. */
const hasMetadata = (seq: string, [key, value]: [string, string], params: Params) =>
  `EXISTS (SELECT 1 FROM customer_search_metadata AS x WHERE x.org_id = ?1 AND x.key = ${params.add(key)}
    AND x.value = ${params.add(value)} AND x.customer_seq = ${seq})`;

/** How much of the index a term reads, roughly: the longer its words, the fewer entries. */
const selectivity = (term: SearchTerm) => term.words.join("").length + (term.phone === null ? 0 : 1);

/** The term whose entries drive the page (the most selective), and the others, checked per seq. */
function driverOf(terms: SearchTerm[]): { driver: SearchTerm; others: SearchTerm[] } {
  const [driver, ...others] = [...terms].sort((a, b) => selectivity(b) - selectivity(a));
  if (!driver) throw new Error("a driving term needs terms");
  return { driver, others };
}

/** Conditions on the customer row (`c`); more than the two: the page is cut after them. */
function customerConditions(filters: SearchFilters, params: Params): string[] {
  const where = ["c.org_id = ?1", "c.archived_at IS NULL"];
  if (filters.email !== undefined) {
    where.push(`c.email IS NOT NULL AND lower(c.email) = lower(${params.add(filters.email)})`);
  }
  if (filters.alternativeId !== undefined) where.push(`c.alternative_id = ${params.add(filters.alternativeId)}`);
  if (filters.createdGte !== undefined) where.push(`c.created_at >= ${params.add(filters.createdGte)}`);
  if (filters.createdLt !== undefined) where.push(`c.created_at < ${params.add(filters.createdLt)}`);
  return where;
}

type Statement = { sql: string; params: unknown[] };

/** Metadata filters only: the first one's primary key range, in seq order, stops at `limit`. */
function metadataPage(orgId: string, filters: SearchFilters, beforeSeq: number | null, limit: number): Statement {
  const params = new Params(orgId);
  const before = beforeSeq === null ? null : params.add(beforeSeq);
  const where = customerConditions(filters, params);
  const [first, ...rest] = filters.metadata;
  if (!first) throw new Error("a search needs terms or a metadata filter");
  // CROSS JOIN keeps the range the outer loop.
  const range = [`m.org_id = ?1 AND m.key = ${params.add(first[0])} AND m.value = ${params.add(first[1])}`];
  if (before !== null) range.push(`m.customer_seq < ${before}`);
  for (const filter of rest) range.push(hasMetadata("m.customer_seq", filter, params));
  return {
    sql: `SELECT c.* FROM customer_search_metadata AS m CROSS JOIN customers AS c ON c.seq = m.customer_seq
      WHERE ${[...range, ...where].join(" AND ")} ORDER BY m.customer_seq DESC LIMIT ${params.add(limit)}`,
    params: params.values,
  };
}

/**
 * The page from the driving term's whole ranges: every entry of them is read and the set of
 * seqs sorted, whatever the limit. Each seq is checked against the other terms' sets and the
 * metadata filters on the index alone (only live customers have rows there); then the customer
 * is read by primary key (CROSS JOIN keeps that order; INDEXED BY keeps each term on the word
 * index whatever the statistics say). With filters on the customer row, the page is cut after it.
 */
function rangePage(orgId: string, filters: SearchFilters, beforeSeq: number | null, limit: number): Statement {
  const params = new Params(orgId);
  const before = beforeSeq === null ? null : params.add(beforeSeq);
  const where = customerConditions(filters, params);
  const byCustomer = where.length > 2;
  const { driver, others } = driverOf(filters.terms);
  const checks = [
    ...others.map((term) => `t.seq IN (${termMatches(term, params, before)})`),
    ...filters.metadata.map((filter) => hasMetadata("t.seq", filter, params)),
  ];
  const limitParam = params.add(limit);
  const seqs = `SELECT DISTINCT t.seq FROM (${termMatches(driver, params, before)}) AS t
    ${checks.length ? `WHERE ${checks.join(" AND ")}` : ""}
    ${byCustomer ? "" : `ORDER BY t.seq DESC LIMIT ${limitParam}`}`;
  return {
    sql: `SELECT c.* FROM (${seqs}) AS s CROSS JOIN customers AS c ON c.seq = s.seq
      WHERE ${where.join(" AND ")} ORDER BY s.seq DESC${byCustomer ? ` LIMIT ${limitParam}` : ""}`,
    params: params.values,
  };
}

/**
 * The page from the driving term's exact words (`words[i]`: those of its i-th prefix, as
 * `driverWordsStatement` lists them), one arm each in index order, newest first; a phrase term
 * adds the arm of its first word. Each arm checks its seqs against everything else (other terms,
 * metadata, the customer row), so the merge stops at `limit` matches. Null when the range read
 * is the better one: no arm, too many parameters, or several arms with other terms (their sets
 * would be built once per arm).
 */
function wordsPage(
  orgId: string,
  filters: SearchFilters,
  beforeSeq: number | null,
  limit: number,
  words: string[][],
): Statement | null {
  const params = new Params(orgId);
  const before = beforeSeq === null ? null : params.add(beforeSeq);
  const where = customerConditions(filters, params);
  const { driver, others } = driverOf(filters.terms);
  const armCount = words.flat().length + (driver.words.length > 1 ? 1 : 0);
  if (armCount === 0 || armCount > MAX_ARMS || (armCount > 1 && others.length > 0)) return null;
  const below = belowOf(before);
  const checks = [
    ...others.map((term) => `w.customer_seq IN (${termMatches(term, params, before)})`),
    ...filters.metadata.map((filter) => hasMetadata("w.customer_seq", filter, params)),
    ...(where.length > 2
      ? [`EXISTS (SELECT 1 FROM customers AS c WHERE c.seq = w.customer_seq AND ${where.join(" AND ")})`]
      : []),
  ]
    .map((check) => ` AND ${check}`)
    .join("");
  const entries = [
    ...(driver.words.length > 1 ? [phraseEntries(driver, params, below)] : []),
    ...words.flat().map((word) => `FROM ${WORD_INDEX} WHERE w.org_id = ?1 AND w.word = ${params.add(word)}${below}`),
  ];
  const limitParam = params.add(limit);
  // One arm: DISTINCT over its ordered entries; several: UNION merges them, dropping repeats.
  const merged = (from: string[]) =>
    from
      .map((f) => `SELECT${from.length === 1 ? " DISTINCT" : ""} w.customer_seq AS seq ${f}${checks}`)
      .join(" UNION ");
  const groups: string[][] = [];
  for (let start = 0; start < entries.length; start += COMPOUND_TERMS) {
    groups.push(entries.slice(start, start + COMPOUND_TERMS));
  }
  const seqs =
    groups.length === 1
      ? merged(entries)
      : groups.map((group) => `SELECT seq FROM (${merged(group)} ORDER BY 1 DESC LIMIT ${limitParam})`).join(" UNION ");
  if (params.values.length > MAX_PARAMETERS) return null;
  return {
    sql: `SELECT c.* FROM (${seqs} ORDER BY 1 DESC LIMIT ${limitParam}) AS s
      CROSS JOIN customers AS c ON c.seq = s.seq WHERE ${where.join(" AND ")} ORDER BY s.seq DESC`,
    params: params.values,
  };
}

/**
 * The SQL and parameters of one page (the plan test explains them). `words`: the driving term's
 * exact words per prefix, to read the page word by word, or null for the range read. `byWords`:
 * whether the page depends on `words` being the index's.
 */
export function searchStatementParts(
  orgId: string,
  filters: SearchFilters,
  beforeSeq: number | null,
  limit: number,
  words: string[][] | null = null,
): Statement & { byWords: boolean } {
  if (filters.terms.length === 0) return { ...metadataPage(orgId, filters, beforeSeq, limit), byWords: false };
  const byWords = words === null ? null : wordsPage(orgId, filters, beforeSeq, limit, words);
  if (byWords !== null) return { ...byWords, byWords: true };
  return { ...rangePage(orgId, filters, beforeSeq, limit), byWords: false };
}

/**
 * The distinct words of the driving term's prefixes, in order, one index seek each (a recursive
 * step to the next word above the last), at most MAX_DRIVER_WORDS + 1 per prefix: rows
 * (way: the prefix's index, word). Null when the driver has no prefix (a phrase without phone).
 */
export function driverWordsStatement(orgId: string, filters: SearchFilters): (Statement & { ways: number }) | null {
  if (filters.terms.length === 0) return null;
  const prefixes = prefixesOf(driverOf(filters.terms).driver);
  if (prefixes.length === 0) return null;
  const params = new Params(orgId);
  const next = (after: string, end: string) =>
    `(SELECT x.word FROM customer_search_words AS x INDEXED BY customer_search_words_by_word
      WHERE x.org_id = ?1 AND ${after} AND x.word < ${end} ORDER BY x.word LIMIT 1)`;
  const walks = prefixes.map((prefix, way) => {
    const start = params.add(prefix);
    const end = params.add(prefixEnd(prefix));
    return `r${way}(word) AS (SELECT ${next(`x.word >= ${start}`, end)}
      UNION ALL SELECT ${next(`x.word > r${way}.word`, end)} FROM r${way} WHERE r${way}.word IS NOT NULL
      LIMIT ${MAX_DRIVER_WORDS + 1})`;
  });
  const rows = prefixes.map((_, way) => `SELECT ${way} AS way, word FROM r${way} WHERE word IS NOT NULL`);
  return {
    sql: `WITH RECURSIVE ${walks.join(", ")} ${rows.join(" UNION ALL ")}`,
    params: params.values,
    ways: prefixes.length,
  };
}

/** The words per way from `driverWordsStatement`'s rows, or null when more than the bound. */
function wordsFound(rows: { way: number; word: string }[], ways: number): string[][] | null {
  if (rows.length > MAX_DRIVER_WORDS) return null;
  const words: string[][] = Array.from({ length: ways }, () => []);
  for (const { way, word } of rows) words[way]?.push(word);
  return words;
}

const sameWords = (a: string[][], b: string[][]) => JSON.stringify(a) === JSON.stringify(b);

const prepared = (db: Db, { sql, params }: Statement) => db.prepare(sql).bind(...params);

/**
 * One keyset page of the live customers that match every term and every filter (requires terms
 * or a metadata filter). With a prefix term driving, the page is read with the words it is
 * expected to cover (first: the prefix itself as a whole word, the common case), in one batch
 * with the words the index holds; if they were other words, again with those. The page returned
 * was read in the same snapshot as the words it used, so it is exact.
 */
export async function searchLive(
  db: Db,
  orgId: string,
  filters: SearchFilters,
  beforeSeq: number | null,
  limit: number,
): Promise<CustomerRow[]> {
  const lookup = driverWordsStatement(orgId, filters);
  if (lookup === null) {
    // No prefix to learn words of: metadata only, or a phrase read from its first word.
    const { results } = await prepared(
      db,
      searchStatementParts(orgId, filters, beforeSeq, limit, []),
    ).all<CustomerRow>();
    return results;
  }
  const { driver } = driverOf(filters.terms);
  let words = prefixesOf(driver).map((prefix, way) => (way === 0 && driver.words.length === 1 ? [prefix] : []));
  for (let round = 0; round < WORD_ROUNDS; round++) {
    const page = searchStatementParts(orgId, filters, beforeSeq, limit, words);
    const pageRead = prepared(db, page);
    const wordsRead = prepared(db, lookup);
    const batch = await runBatch(db, [pageRead, wordsRead]);
    const foundWords = wordsFound(rowsOf<{ way: number; word: string }>(batch, wordsRead), lookup.ways);
    if (!page.byWords || (foundWords !== null && sameWords(foundWords, words))) {
      return rowsOf<CustomerRow>(batch, pageRead);
    }
    if (foundWords === null) break;
    // No word and no phrase arm: nothing matched the driver in that snapshot.
    if (foundWords.flat().length === 0 && driver.words.length === 1) return [];
    words = foundWords;
  }
  // More words than the bound, or words that kept changing: the range read.
  const { results } = await prepared(db, searchStatementParts(orgId, filters, beforeSeq, limit)).all<CustomerRow>();
  return results;
}
