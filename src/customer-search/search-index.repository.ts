import type { CustomerProfile } from "../customer-records/customer-columns";
import type { Db } from "../lib/db";
import { metadataEntriesOf, SEARCHED_COLUMNS, type SearchedValues, wordEntriesOf } from "./search-text";

/**
 * The search structures' SQL (migrations/0015_create_customer_search.sql): the statements that
 * keep them equal to the live customers, for the write's own batch (the search query is
 * search-query.repository.ts).
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
