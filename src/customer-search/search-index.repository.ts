import type { CustomerProfile, CustomerRow } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";
import {
  metadataEntriesOf,
  prefixEnd,
  SEARCHED_COLUMNS,
  type SearchedValues,
  type SearchTerm,
  wordEntriesOf,
} from "./search-text";

/**
 * The search structures' SQL (migrations/0015_create_customer_search.sql): the statements that
 * keep them equal to the live customers, for the write's own batch, and the search query.
 *
 * Invariant: the rows of a live customer are exactly what its current searched columns and
 * metadata give (search-text.ts); an archived customer has none. Each index write is guarded
 * by the values it was computed from (the customer row, read in the same batch, still holds
 * them and is live), not by the change's version: whichever batch commits last leaves the rows
 * of the row it leaves, a write that lost its race touches nothing, and a repeated write is
 * harmless. So it can follow any customer write in any batch, with no result to read between.
 */

const GUARD_COLUMNS = SEARCHED_COLUMNS.map((column, index) => `c.${column} IS ?${index + 3}`).join(" AND ");
const CUSTOMER_AT_WORDS = `c.org_id = ?1 AND c.id = ?2 AND c.archived_at IS NULL AND ${GUARD_COLUMNS}`;
const ENTRIES = `?${SEARCHED_COLUMNS.length + 3}`;
const CUSTOMER_AT_METADATA = "c.org_id = ?1 AND c.id = ?2 AND c.archived_at IS NULL AND c.metadata = ?3";

const searchedValues = (profile: CustomerProfile): SearchedValues =>
  Object.fromEntries(SEARCHED_COLUMNS.map((column) => [column, profile[column]])) as SearchedValues;

const sameSearched = (a: CustomerProfile, b: CustomerProfile) =>
  SEARCHED_COLUMNS.every((column) => a[column] === b[column]);

/**
 * The statements that index customer `customerId` once its write leaves `profile`, for the same
 * batch, after that write. `previous`: what the customer held before (its rows reflect it), so
 * a change that leaves the searched columns or the metadata as they were adds nothing for
 * them; null for a customer with no rows (created, or unarchived: the archive erased them),
 * which needs no DELETE. Nothing to insert, no INSERT.
 */
export function indexCustomerStatements(
  db: Db,
  orgId: string,
  customerId: string,
  profile: CustomerProfile,
  previous: CustomerProfile | null,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  if (previous === null || !sameSearched(previous, profile)) {
    const values = searchedValues(profile);
    const guard = [orgId, customerId, ...SEARCHED_COLUMNS.map((column) => values[column])];
    const entries = wordEntriesOf(values);
    if (previous !== null) {
      statements.push(
        db
          .prepare(
            `DELETE FROM customer_search_words WHERE org_id = ?1
               AND customer_seq = (SELECT c.seq FROM customers AS c WHERE ${CUSTOMER_AT_WORDS})`,
          )
          .bind(...guard),
      );
    }
    if (entries.length > 0) {
      statements.push(
        db
          .prepare(
            `INSERT INTO customer_search_words (org_id, customer_seq, field, position, word)
             SELECT ?1, c.seq, e.value ->> 0, e.value ->> 1, e.value ->> 2
             FROM customers AS c, json_each(${ENTRIES}) AS e WHERE ${CUSTOMER_AT_WORDS}`,
          )
          .bind(...guard, JSON.stringify(entries)),
      );
    }
  }
  const metadata = JSON.stringify(profile.metadata);
  if (previous === null || JSON.stringify(previous.metadata) !== metadata) {
    const entries = metadataEntriesOf(profile.metadata);
    if (previous !== null) {
      statements.push(
        db
          .prepare(
            `DELETE FROM customer_search_metadata WHERE org_id = ?1
               AND customer_seq = (SELECT c.seq FROM customers AS c WHERE ${CUSTOMER_AT_METADATA})`,
          )
          .bind(orgId, customerId, metadata),
      );
    }
    if (entries.length > 0) {
      statements.push(
        db
          .prepare(
            `INSERT INTO customer_search_metadata (org_id, key, value, customer_seq)
             SELECT ?1, e.value ->> 0, e.value ->> 1, c.seq
             FROM customers AS c, json_each(?4) AS e WHERE ${CUSTOMER_AT_METADATA}`,
          )
          .bind(orgId, customerId, metadata, JSON.stringify(entries)),
      );
    }
  }
  return statements;
}

/**
 * Archive's erasure, for its batch after the archive: every row of the customer, in every
 * search structure, if it is archived (so only if that archive, or an earlier one, committed).
 */
export function eraseCustomerStatements(db: Db, orgId: string, customerId: string): D1PreparedStatement[] {
  const archived = "(SELECT seq FROM customers WHERE org_id = ?1 AND id = ?2 AND archived_at IS NOT NULL)";
  return ["customer_search_words", "customer_search_metadata"].map((table) =>
    db.prepare(`DELETE FROM ${table} WHERE org_id = ?1 AND customer_seq = ${archived}`).bind(orgId, customerId),
  );
}

/**
 * Customers' parameters travel as JSON, a few hundred KB per statement at most (D1 caps a
 * value at 2 MB): an import's words can outgrow one, so they are cut into chunks.
 */
const CHUNK_CHARACTERS = 400_000;

/**
 * `indexCustomerStatements` for many customers (an import, the backfill), set-based: four
 * statements per chunk of customers, whatever their number, each with one bound parameter.
 * Each customer names its organization (the backfill walks all of them); each row written or
 * deleted is its customer's organization's.
 */
export function indexCustomersStatements(
  db: Db,
  customers: { orgId: string; id: string; profile: CustomerProfile }[],
): D1PreparedStatement[] {
  const items = customers.map(({ orgId, id, profile }) => {
    const values = searchedValues(profile);
    return JSON.stringify({
      org: orgId,
      id,
      values,
      metadata: JSON.stringify(profile.metadata),
      words: wordEntriesOf(values),
      meta: metadataEntriesOf(profile.metadata),
    });
  });
  const chunks: string[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const item of items) {
    if (size + item.length > CHUNK_CHARACTERS) {
      chunks.push([]);
      size = 0;
    }
    chunks.at(-1)?.push(item);
    size += item.length + 1;
  }
  const customerAt = (guard: string) => `customers AS c ON c.org_id = i.value ->> '$.org'
    AND c.id = i.value ->> '$.id' AND c.archived_at IS NULL AND ${guard}`;
  const words = customerAt(
    SEARCHED_COLUMNS.map((column) => `c.${column} IS i.value -> '$.values' ->> '$.${column}'`).join(" AND "),
  );
  const metadata = customerAt("c.metadata = i.value ->> '$.metadata'");
  return chunks.flatMap((chunk) => {
    const json = `[${chunk.join(",")}]`;
    return [
      db
        .prepare(
          `DELETE FROM customer_search_words
           WHERE (org_id, customer_seq) IN (SELECT c.org_id, c.seq FROM json_each(?1) AS i JOIN ${words})`,
        )
        .bind(json),
      db
        .prepare(
          `INSERT INTO customer_search_words (org_id, customer_seq, field, position, word)
           SELECT c.org_id, c.seq, e.value ->> 0, e.value ->> 1, e.value ->> 2
           FROM json_each(?1) AS i JOIN ${words} JOIN json_each(i.value, '$.words') AS e`,
        )
        .bind(json),
      db
        .prepare(
          `DELETE FROM customer_search_metadata
           WHERE (org_id, customer_seq) IN (SELECT c.org_id, c.seq FROM json_each(?1) AS i JOIN ${metadata})`,
        )
        .bind(json),
      db
        .prepare(
          `INSERT INTO customer_search_metadata (org_id, key, value, customer_seq)
           SELECT c.org_id, e.value ->> 0, e.value ->> 1, c.seq
           FROM json_each(?1) AS i JOIN ${metadata} JOIN json_each(i.value, '$.meta') AS e`,
        )
        .bind(json),
    ];
  });
}

export type SearchFilters = {
  terms: SearchTerm[];
  /** [key, value]: the customer's metadata has `key` with this string form. */
  metadata: [string, string][];
  email?: string;
  alternativeId?: string;
  createdGte?: string;
  createdLt?: string;
};

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

/** The seqs of the customers a term matches (below `before`, the cursor's seq, when given). */
function termMatches(term: SearchTerm, params: Params, before: string | null): string {
  const below = before === null ? "" : ` AND w.customer_seq < ${before}`;
  const prefix = (column: string, prefix: string) =>
    `${column} >= ${params.add(prefix)} AND ${column} < ${params.add(prefixEnd(prefix))}`;
  const words = term.words;
  const last = words.at(-1) ?? "";
  const ways: string[] = [];
  if (words.length === 1) {
    ways.push(`SELECT w.customer_seq AS seq FROM customer_search_words AS w INDEXED BY customer_search_words_by_word
      WHERE w.org_id = ?1 AND ${prefix("w.word", last)}${below}`);
  } else {
    // The first word exactly, then each next one at the next position of the same field.
    const middle = words.slice(1, -1);
    const followedBy =
      middle.length === 0
        ? ""
        : `AND NOT EXISTS (SELECT 1 FROM json_each(${params.add(JSON.stringify(middle))}) AS j
            WHERE NOT EXISTS (SELECT 1 FROM customer_search_words AS n WHERE n.org_id = ?1
              AND n.customer_seq = w.customer_seq AND n.field = w.field
              AND n.position = w.position + 1 + j.key AND n.word = j.value))`;
    ways.push(`SELECT w.customer_seq AS seq FROM customer_search_words AS w INDEXED BY customer_search_words_by_word
      WHERE w.org_id = ?1 AND w.word = ${params.add(words[0])}${below} ${followedBy}
        AND EXISTS (SELECT 1 FROM customer_search_words AS l WHERE l.org_id = ?1
          AND l.customer_seq = w.customer_seq AND l.field = w.field
          AND l.position = w.position + ${words.length - 1} AND ${prefix("l.word", last)})`);
  }
  if (term.phone !== null) {
    ways.push(`SELECT w.customer_seq AS seq FROM customer_search_words AS w INDEXED BY customer_search_words_by_word
      WHERE w.org_id = ?1 AND ${prefix("w.word", term.phone)}${below}`);
  }
  return ways.length === 1 ? (ways[0] ?? "") : `SELECT seq FROM (${ways.join(" UNION ")})`;
}

/** The customer `seq` (an SQL expression) has metadata `key` with this string form. */
const hasMetadata = (seq: string, [key, value]: [string, string], params: Params) =>
  `EXISTS (SELECT 1 FROM customer_search_metadata AS x WHERE x.org_id = ?1 AND x.key = ${params.add(key)}
    AND x.value = ${params.add(value)} AND x.customer_seq = ${seq})`;

/** How much of the index a term reads, roughly: the longer its words, the fewer entries. */
const selectivity = (term: SearchTerm) => term.words.join("").length + (term.phone === null ? 0 : 1);

/**
 * One keyset page of the live customers that match every term and every filter, newest first
 * by seq. With terms, the page is read from the terms' index ranges (each the set of seqs it
 * matches), and each candidate customer by primary key; without, from the first
 * metadata filter's range, already in seq order, so it stops at `limit`. Never a scan of the
 * organization's customers (test/customer-search.plan.test.ts reads the plans). Requires terms
 * or a metadata filter. At most 6 parameters per term and 2 per filter: under D1's 100.
 */
export async function searchLive(
  db: Db,
  orgId: string,
  filters: SearchFilters,
  beforeSeq: number | null,
  limit: number,
): Promise<CustomerRow[]> {
  const { sql, params } = searchStatementParts(orgId, filters, beforeSeq, limit);
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<CustomerRow>();
  return results;
}

/** The SQL and parameters of `searchLive` (the plan test explains them). */
export function searchStatementParts(
  orgId: string,
  filters: SearchFilters,
  beforeSeq: number | null,
  limit: number,
): { sql: string; params: unknown[] } {
  const params = new Params(orgId);
  const before = beforeSeq === null ? null : params.add(beforeSeq);
  const where = ["c.org_id = ?1", "c.archived_at IS NULL"];
  if (filters.email !== undefined) {
    where.push(`c.email IS NOT NULL AND lower(c.email) = lower(${params.add(filters.email)})`);
  }
  if (filters.alternativeId !== undefined) where.push(`c.alternative_id = ${params.add(filters.alternativeId)}`);
  if (filters.createdGte !== undefined) where.push(`c.created_at >= ${params.add(filters.createdGte)}`);
  if (filters.createdLt !== undefined) where.push(`c.created_at < ${params.add(filters.createdLt)}`);
  const byCustomer = where.length > 2;

  if (filters.terms.length === 0) {
    const [first, ...rest] = filters.metadata;
    if (!first) throw new Error("a search needs terms or a metadata filter");
    // The first filter's range of the primary key is the outer loop (CROSS JOIN keeps it
    // there): it is in seq order, so the page stops at `limit`.
    const range = [`m.org_id = ?1 AND m.key = ${params.add(first[0])} AND m.value = ${params.add(first[1])}`];
    if (before !== null) range.push(`m.customer_seq < ${before}`);
    for (const filter of rest) range.push(hasMetadata("m.customer_seq", filter, params));
    return {
      sql: `SELECT c.* FROM customer_search_metadata AS m CROSS JOIN customers AS c ON c.seq = m.customer_seq
        WHERE ${[...range, ...where].join(" AND ")} ORDER BY m.customer_seq DESC LIMIT ${params.add(limit)}`,
      params: params.values,
    };
  }

  // The seqs that match every term and filter are decided on the index alone (only live
  // customers have rows there): the most selective term's set is read, each seq checked against
  // the other terms' sets and the metadata filters; only then is a customer read, by primary key
  // (CROSS JOIN keeps that order; INDEXED BY keeps each term on the word index whatever the
  // statistics say). Filters on the customer row (email, created_*) come after the join, so then
  // the page is cut after it.
  const [driver, ...others] = [...filters.terms].sort((a, b) => selectivity(b) - selectivity(a));
  if (!driver) throw new Error("unreachable: terms is not empty");
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
