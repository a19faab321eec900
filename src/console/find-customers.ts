import type { CustomerDeps } from "../customers/customers.service";
import * as customers from "../customers/customers.service";

/** What the console's customer search sends: the search box, metadata filters, the page's cursor. */
export type CustomerSearch = {
  q: string;
  metadata: [key: string, value: string][];
  cursor?: string;
};

/** One page of the console's customer list. */
export const CONSOLE_PAGE_SIZE = 20;

/**
 * The console's one way to find customers: every customers page goes through here, so this is
 * the one place that changes when it moves to the search service (spec section 12,
 * `GET /v1/customers/search`: words and prefixes of names, emails, phones; metadata filters in
 * the query). Until then it uses the list (`GET /v1/customers`): a search box holding an `@`
 * is an exact email, anything else an exact alternative ID; each metadata filter keeps the
 * customers whose value, as a string, equals it, on each page of the list (a page can then
 * show fewer than 20; the cursors still walk every customer exactly once, newest first).
 */
export async function findCustomers(deps: CustomerDeps, search: CustomerSearch) {
  const q = search.q.trim();
  const page = await customers.list(deps, {
    limit: CONSOLE_PAGE_SIZE,
    cursor: search.cursor,
    ...(q.includes("@") ? { email: q } : q ? { alternative_id: q } : {}),
  });
  const matches = (customer: { metadata: Record<string, string | number | boolean> }) =>
    search.metadata.every(
      ([key, value]) => Object.hasOwn(customer.metadata, key) && String(customer.metadata[key]) === value,
    );
  return { ...page, data: page.data.filter(matches) };
}
