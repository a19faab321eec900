import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { type Called, type CustomerList, call, createCustomer } from "./helpers";

/** Shared by the customer-search.*.test.ts files: GET /v1/customers/search (spec section 12). */

export type SearchParams = Record<string, string | number>;

const queryString = (params: SearchParams) =>
  Object.entries(params)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");

/** GET /v1/customers/search with these parameters (names as sent, e.g. "metadata[seats]"). */
export const search = (key: string, params: SearchParams, headers: Record<string, string> = {}) =>
  call<CustomerList>("GET", `/v1/customers/search?${queryString(params)}`, { key, headers });

/** The ids `q` finds (one page of up to 100), failing the test on anything but 200. */
export async function found(key: string, q: string, params: SearchParams = {}): Promise<string[]> {
  const response = await search(key, { q, limit: 100, ...params });
  expect(response.status, response.text).toBe(200);
  return response.body.data.map((customer) => customer.id);
}

/** Creates one customer with these fields and returns its id. */
export const customerWith = async (key: string, fields: Record<string, unknown>) =>
  (await createCustomer(key, fields)).id;

/** Walks every page of a search; returns the pages. */
export async function walkSearch(key: string, params: SearchParams, maxPages = 100): Promise<Called<CustomerList>[]> {
  const pages: Called<CustomerList>[] = [];
  let cursor: string | null = null;
  do {
    const page = await search(key, cursor === null ? params : { ...params, cursor });
    expect(page.status, page.text).toBe(200);
    pages.push(page);
    cursor = page.body.next_cursor;
    if (pages.length > maxPages) throw new Error("pagination does not terminate");
  } while (cursor !== null);
  return pages;
}

/** Every row the search structures hold for a customer, whatever the organization. */
export async function searchRowsOf(customerId: string): Promise<unknown[]> {
  const seq = await env.DB.prepare("SELECT seq FROM customers WHERE id = ?1").bind(customerId).first<number>("seq");
  const words = await env.DB.prepare("SELECT * FROM customer_search_words WHERE customer_seq = ?1").bind(seq).all();
  const metadata = await env.DB.prepare("SELECT * FROM customer_search_metadata WHERE customer_seq = ?1")
    .bind(seq)
    .all();
  return [...words.results, ...metadata.results];
}
