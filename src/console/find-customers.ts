import type { CustomerDeps } from "../customers/customers.service";
import * as customers from "../customers/customers.service";
import * as searching from "../customers/search.service";

/** What the console's customer search sends: the search box, metadata filters, the page's cursor. */
export type CustomerSearch = {
  q: string;
  metadata: [key: string, value: string][];
  cursor?: string;
};

/** One page of the console's customer list. */
export const CONSOLE_PAGE_SIZE = 20;

/**
 * The console's one way to find customers: the search box and metadata filters go to the
 * search service (spec section 12, what `GET /v1/customers/search` answers: words and prefixes
 * of names, emails, alternative IDs, phone endings; metadata exact); with neither, the list.
 * Newest first either way. An invalid search box (a term shorter than two characters) is the
 * service's `400 validation_failed` pointing at `#/query/q`.
 */
export async function findCustomers(deps: CustomerDeps, search: CustomerSearch) {
  const q = search.q.trim();
  const page = { limit: CONSOLE_PAGE_SIZE, cursor: search.cursor };
  if (!q && search.metadata.length === 0) return customers.list(deps, page);
  return searching.search(deps, { ...page, q: q || undefined, metadata: Object.fromEntries(search.metadata) });
}
