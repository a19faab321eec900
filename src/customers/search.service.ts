import { type SearchFilters, searchLive } from "../customer-search/search-query.repository";
import { parseQuery } from "../customer-search/search-text";
import { filtersKey, pageBody, readPage, servedRows } from "../lib/pages";
import { toCustomerObject } from "./customers.object";
import type { CustomerDeps } from "./customers.service";
import { expandCustomers, parseExpand } from "./expand";
import type { SearchCustomersQuery } from "./search.schemas";

/**
 * `GET /v1/customers/search` (spec section 12): live customers matching every term of `q` and
 * every metadata filter, newest first by insertion sequence, in keyset pages.
 */

const toUtc = (value: string | undefined) => (value === undefined ? undefined : new Date(value).toISOString());

/** The metadata filters as [key, value] pairs, in key order (so a cursor's scope ignores the order sent). */
export const metadataPairs = (filters: Record<string, string> | undefined): [string, string][] =>
  Object.entries(filters ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** One page of live customers that match; a cursor is valid only with the query and filters it came with. */
export async function search(deps: CustomerDeps, query: SearchCustomersQuery) {
  const filters: SearchFilters = {
    terms: query.q === undefined ? [] : parseQuery(query.q),
    metadata: metadataPairs(query.metadata),
    createdGte: toUtc(query.created_gte),
    createdLt: toUtc(query.created_lt),
  };
  const scope = filtersKey(["search", filters.terms, filters.metadata, filters.createdGte, filters.createdLt]);
  const { limit, rows } = await readPage(query, scope, (beforeSeq, count) =>
    searchLive(deps.db, deps.orgId, filters, beforeSeq, count),
  );
  const expansionOf = await expandCustomers(deps.db, deps.orgId, servedRows(rows, limit), parseExpand(query.expand));
  return pageBody(rows, limit, scope, (row) => ({ ...toCustomerObject(row), ...expansionOf(row.id) }));
}
