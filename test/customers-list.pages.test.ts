import { afterEach, describe, expect, it, vi } from "vitest";
import { createInOrder, list, nextCursorOf, type Query, walk } from "./customers-list-helpers";
import {
  archive,
  type Called,
  type CustomerList,
  call,
  createCustomer,
  expectValidationFailed,
  ids,
  newOrganization,
  type Problem,
} from "./helpers";

/** GET /v1/customers (spec §3 "List"): the envelope, limit, unknown parameters, has_more, cursors and paging stability. */

afterEach(() => {
  vi.useRealTimers();
});

describe("GET /v1/customers: envelope", () => {
  it("is an empty list for an organization without customers", async () => {
    const { key } = await newOrganization();
    const response = await list(key);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ object: "list", data: [], has_more: false, next_cursor: null });
  });

  it("requires an API key", async () => {
    const response = await call<Problem>("GET", "/v1/customers");
    expect(response.status).toBe(401);
    expect(response.body.code).toBe("unauthorized");
  });

  it("lists full customer objects, identical to GET by id", async () => {
    const { key } = await newOrganization();
    const created = await createCustomer(key, {
      alternative_id: "user_2abc",
      email: "jenny.doe@example.com",
      name: "Jenny Doe",
      username: "jenny_doe",
      metadata: { plan_source: "signup", seats: 3, beta: true },
    });
    const response = await list(key);
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(1);
    const single = await call("GET", `/v1/customers/${created.id}`, { key });
    expect(response.body.data[0]).toEqual(single.body);
    expect(response.body.data[0]).toEqual(created);
  });
});

describe("GET /v1/customers: limit", () => {
  it("defaults to 20", async () => {
    const { key } = await newOrganization();
    const created = await createInOrder(key, 25);
    const first = await list(key);
    expect(first.status).toBe(200);
    expect(ids(first)).toEqual(created.slice(5).reverse());
    expect(first.body.has_more).toBe(true);
    expect(typeof first.body.next_cursor).toBe("string");
    const second = await list(key, { cursor: nextCursorOf(first) });
    expect(ids(second)).toEqual(created.slice(0, 5).reverse());
    expect(second.body.has_more).toBe(false);
    expect(second.body.next_cursor).toBeNull();
  });

  it("accepts limit=1 (the newest customer only)", async () => {
    const { key } = await newOrganization();
    const created = await createInOrder(key, 3);
    const response = await list(key, { limit: 1 });
    expect(response.status).toBe(200);
    expect(ids(response)).toEqual([created[2]]);
    expect(response.body.has_more).toBe(true);
    expect(response.body.next_cursor).toEqual(expect.any(String));
  });

  it("accepts limit=100 and returns 100 of 101 customers", async () => {
    const { key } = await newOrganization();
    await Promise.all(Array.from({ length: 101 }, () => createCustomer(key)));
    const response = await list(key, { limit: 100 });
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(100);
    expect(response.body.has_more).toBe(true);
    const rest = await list(key, { limit: 100, cursor: nextCursorOf(response) });
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.has_more).toBe(false);
    expect(rest.body.next_cursor).toBeNull();
    expect(new Set([...ids(response), ...ids(rest)]).size).toBe(101);
  });

  it.each(["0", "101", "abc", "1.5", "-1", "", "1000000"])(
    "rejects limit=%j with 400 at #/query/limit",
    async (limit) => {
      const { key } = await newOrganization();
      await createCustomer(key);
      expectValidationFailed(await call("GET", `/v1/customers?limit=${limit}`, { key }), ["#/query/limit"]);
    },
  );

  it("a cursor may be used with another limit (limit is not a filter)", async () => {
    const { key } = await newOrganization();
    const created = (await createInOrder(key, 10)).reverse();
    const first = await list(key, { limit: 3 });
    expect(ids(first)).toEqual(created.slice(0, 3));
    const second = await list(key, { limit: 5, cursor: nextCursorOf(first) });
    expect(second.status).toBe(200);
    expect(ids(second)).toEqual(created.slice(3, 8));
    expect(second.body.has_more).toBe(true);
  });
});

describe("GET /v1/customers: unknown query parameters", () => {
  it.each(["foo", "offset", "starting_after", "Limit", "page"])("rejects ?%s=1 with 400 naming it", async (name) => {
    const { key } = await newOrganization();
    expectValidationFailed(await call("GET", `/v1/customers?${name}=1`, { key }), [`#/query/${name}`]);
  });

  it("names every unknown parameter", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers?limit=5&foo=1&bar=2", { key });
    expectValidationFailed(response, ["#/query/foo", "#/query/bar"]);
  });
});

describe("GET /v1/customers: has_more and next_cursor", () => {
  it.each([
    [5, [5, 5]],
    [4, [4, 4, 2]],
    [10, [10]],
    [11, [10]],
    [3, [3, 3, 3, 1]],
  ])("10 customers with limit %i give pages %j, the last with has_more:false", async (limit, sizes) => {
    const { key } = await newOrganization();
    const created = (await createInOrder(key, 10)).reverse();
    const pages = await walk(key, { limit });
    expect(pages.map((page) => page.body.data.length)).toEqual(sizes);
    pages.forEach((page, index) => {
      const last = index === pages.length - 1;
      expect(page.body.object).toBe("list");
      expect(page.body.has_more).toBe(!last);
      if (last) expect(page.body.next_cursor).toBeNull();
      else expect(page.body.next_cursor).toEqual(expect.any(String));
    });
    expect(pages.flatMap(ids)).toEqual(created);
  });

  it("has_more is false when only archived customers are beyond the page", async () => {
    const { key } = await newOrganization();
    const [oldest, middle, newest] = await createInOrder(key, 3);
    await archive(key, oldest!);
    const response = await list(key, { limit: 2 });
    expect(ids(response)).toEqual([newest, middle]);
    expect(response.body.has_more).toBe(false);
    expect(response.body.next_cursor).toBeNull();
  });
});

describe("GET /v1/customers: cursors", () => {
  it.each<[string, Query, Query]>([
    ["no filters → email", {}, { email: "a@example.com" }],
    ["no filters → alternative_id", {}, { alternative_id: "a" }],
    ["no filters → created_gte", {}, { created_gte: "2000-01-01T00:00:00.000Z" }],
    ["created_gte → none", { created_gte: "2000-01-01T00:00:00.000Z" }, {}],
    [
      "created_gte → other created_gte",
      { created_gte: "2000-01-01T00:00:00.000Z" },
      { created_gte: "2000-01-02T00:00:00.000Z" },
    ],
    [
      "created_lt → created_gte",
      { created_lt: "2999-01-01T00:00:00.000Z" },
      { created_gte: "2999-01-01T00:00:00.000Z" },
    ],
    [
      "created_lt → created_lt + email",
      { created_lt: "2999-01-01T00:00:00.000Z" },
      { created_lt: "2999-01-01T00:00:00.000Z", email: "a@example.com" },
    ],
  ])("a cursor reused with other filters (%s) is 400 at #/query/cursor", async (_, issuedFor, reusedWith) => {
    const { key } = await newOrganization();
    await createInOrder(key, 3, (index) => ({
      email: index === 0 ? "a@example.com" : null,
      alternative_id: `${"a".repeat(index + 1)}`,
    }));
    const first = await list(key, { ...issuedFor, limit: 1 });
    expect(first.status).toBe(200);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    expectValidationFailed(await list(key, { ...reusedWith, limit: 1, cursor: nextCursorOf(first) }), [
      "#/query/cursor",
    ]);
    // the same cursor with its own filters still works
    const second = await list(key, { ...issuedFor, limit: 1, cursor: nextCursorOf(first) });
    expect(second.status).toBe(200);
    expect(second.body.data).toHaveLength(1);
  });

  const b64url = (value: string) => btoa(value).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

  it.each([
    ["not base64", "!!!not-a-cursor!!!"],
    ["base64 of text", b64url("hello")],
    ["base64 of an object", b64url('{"seq":1}')],
    ["base64 of a fractional seq", b64url('[1.5,"x"]')],
    ["base64 of a wrong hash", b64url('[1,"deadbeef"]')],
    ["empty", ""],
    ["too long", "a".repeat(600)],
  ])("a garbage cursor (%s) is 400 at #/query/cursor", async (_, cursor) => {
    const { key } = await newOrganization();
    await createCustomer(key);
    expectValidationFailed(await call("GET", `/v1/customers?cursor=${encodeURIComponent(cursor)}`, { key }), [
      "#/query/cursor",
    ]);
  });

  it("a cursor survives the archiving of the customer it points after", async () => {
    const { key } = await newOrganization();
    const created = (await createInOrder(key, 6)).reverse();
    const first = await list(key, { limit: 3 });
    expect(ids(first)).toEqual(created.slice(0, 3));
    await archive(key, created[2]!);
    const second = await list(key, { limit: 3, cursor: nextCursorOf(first) });
    expect(second.status).toBe(200);
    expect(ids(second)).toEqual(created.slice(3, 6));
    expect(second.body.has_more).toBe(false);
  });
});

describe("GET /v1/customers: pagination stability", () => {
  it("walking 45 customers in pages of 7 while others are created and archived returns every survivor exactly once", async () => {
    const { key } = await newOrganization();
    const initial = await createInOrder(key, 45, (index) => ({ alternative_id: `initial-${index}` }));
    const listOrder = [...initial].reverse();
    const archived = new Set<string>();
    const archivedBeforeSeen = new Set<string>();
    const createdDuring = new Set<string>();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pageNumber = 0;
    for (;;) {
      const page: Called<CustomerList> = await list(key, cursor === null ? { limit: 7 } : { limit: 7, cursor });
      expect(page.status, page.text).toBe(200);
      const pageIds = ids(page);
      expect(pageIds.length).toBeLessThanOrEqual(7);
      for (const id of pageIds) {
        expect(archivedBeforeSeen.has(id), `${id} was archived before its page and still listed`).toBe(false);
        seen.push(id);
      }
      cursor = page.body.next_cursor;
      expect(page.body.has_more).toBe(cursor !== null);
      if (cursor === null) break;
      pageNumber++;
      if (pageNumber > 20) throw new Error("pagination does not terminate");

      // Between pages, the changes deliberately do not cancel out (an OFFSET-based cursor would
      // then return some customers twice and skip others).
      const archiveNow = async (id: string | undefined, beforeSeen: boolean) => {
        if (id === undefined || archived.has(id)) return;
        await archive(key, id);
        archived.add(id);
        if (beforeSeen) archivedBeforeSeen.add(id);
      };
      const unseen = () => listOrder.filter((id) => !seen.includes(id) && !archived.has(id));
      if (pageNumber % 2 === 1) {
        // New customers arrive, and the very next not-yet-seen customer is archived.
        for (let index = 0; index < 3; index++) {
          createdDuring.add((await createCustomer(key, { alternative_id: `during-${pageNumber}-${index}` })).id);
        }
        await archiveNow(unseen()[0], true);
      } else {
        // Already-seen customers are archived: the one the cursor points after, the first of
        // this page and a customer created meanwhile; and the oldest not-yet-seen one.
        await archiveNow(pageIds.at(-1), false);
        await archiveNow(pageIds[0], false);
        await archiveNow(
          [...createdDuring].find((id) => !archived.has(id)),
          false,
        );
        await archiveNow(unseen().at(-1), true);
      }
    }

    expect(pageNumber).toBeGreaterThanOrEqual(5);
    expect(archivedBeforeSeen.size).toBeGreaterThanOrEqual(4);
    // No id twice.
    expect(new Set(seen).size).toBe(seen.length);
    // Every customer that existed at the start and stayed live throughout appears exactly once.
    const survivors = initial.filter((id) => !archived.has(id));
    expect(survivors.length).toBeGreaterThan(20);
    for (const id of survivors)
      expect(
        seen.filter((seenId) => seenId === id),
        id,
      ).toHaveLength(1);
    // Nothing foreign, and the initial customers in newest-first order.
    for (const id of seen) expect(initial.includes(id) || createdDuring.has(id), id).toBe(true);
    const seenInitial = seen.filter((id) => initial.includes(id));
    expect(seenInitial).toEqual(listOrder.filter((id) => seenInitial.includes(id)));
  });
});
