import { expect, vi } from "vitest";
import { type Called, type CustomerList, createCustomer, listCustomers } from "./helpers";

/** Shared by the customers-list.*.test.ts files: GET /v1/customers (spec §3 "List"). */

export type Query = Record<string, string | number>;

export const list = listCustomers;

/** Creates customers one after another and returns their ids in creation order. */
export async function createInOrder(
  key: string,
  count: number,
  body: (index: number) => Record<string, unknown> = () => ({}),
) {
  const created: string[] = [];
  for (let index = 0; index < count; index++) created.push((await createCustomer(key, body(index))).id);
  return created;
}

/** Walks every page with these filters; returns the pages' responses. */
export async function walk(key: string, params: Query, maxPages = 100): Promise<Called<CustomerList>[]> {
  const pages: Called<CustomerList>[] = [];
  let cursor: string | null = null;
  do {
    const page = await list(key, cursor === null ? params : { ...params, cursor });
    expect(page.status, page.text).toBe(200);
    pages.push(page);
    cursor = page.body.next_cursor;
    if (pages.length > maxPages) throw new Error("pagination does not terminate");
  } while (cursor !== null);
  return pages;
}

/** The page's next_cursor; fails the test when the page is the last. */
export function nextCursorOf(page: Called<CustomerList>): string {
  const cursor = page.body.next_cursor;
  expect(cursor).toEqual(expect.any(String));
  return cursor ?? "";
}

/** Freezes the Worker's clock (it runs in this isolate) so created_at is exactly `iso`. */
export const freezeClock = (iso: string) => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(iso));
};
