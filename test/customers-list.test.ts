import { afterEach, describe, expect, it, vi } from "vitest";
import { altPath, archive, type Called, call, createCustomer, ids, newOrganization } from "./helpers";

/** GET /v1/customers (spec §3 "List"). */

type Query = Record<string, string | number>;

const query = (params: Query = {}) => {
  const parts = Object.entries(params).map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
  return parts.length ? `?${parts.join("&")}` : "";
};

const list = (key: string, params: Query = {}) => call("GET", `/v1/customers${query(params)}`, { key });

/** Creates customers one after another and returns their ids in creation order. */
async function createInOrder(
  key: string,
  count: number,
  body: (index: number) => Record<string, unknown> = () => ({}),
) {
  const created: string[] = [];
  for (let index = 0; index < count; index++) created.push((await createCustomer(key, body(index))).id);
  return created;
}

/** Walks every page with these filters; returns the pages' responses. */
async function walk(key: string, params: Query, maxPages = 100): Promise<Called[]> {
  const pages: Called[] = [];
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

function expectValidationFailed(response: Called, pointer: string) {
  expect(response.status, response.text).toBe(400);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
  expect(response.body.code).toBe("validation_failed");
  expect(response.body.errors.map((error: { pointer: string }) => error.pointer)).toContain(pointer);
}

/** Freezes the Worker's clock (it runs in this isolate) so created_at is exactly `iso`. */
const freezeClock = (iso: string) => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(iso));
};

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
    const response = await call("GET", "/v1/customers");
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
    const second = await list(key, { cursor: first.body.next_cursor });
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
    const rest = await list(key, { limit: 100, cursor: response.body.next_cursor });
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
      expectValidationFailed(await call("GET", `/v1/customers?limit=${limit}`, { key }), "#/query/limit");
    },
  );

  it("a cursor may be used with another limit (limit is not a filter)", async () => {
    const { key } = await newOrganization();
    const created = (await createInOrder(key, 10)).reverse();
    const first = await list(key, { limit: 3 });
    expect(ids(first)).toEqual(created.slice(0, 3));
    const second = await list(key, { limit: 5, cursor: first.body.next_cursor });
    expect(second.status).toBe(200);
    expect(ids(second)).toEqual(created.slice(3, 8));
    expect(second.body.has_more).toBe(true);
  });
});

describe("GET /v1/customers: unknown query parameters", () => {
  it.each(["foo", "offset", "starting_after", "Limit", "page"])("rejects ?%s=1 with 400 naming it", async (name) => {
    const { key } = await newOrganization();
    expectValidationFailed(await call("GET", `/v1/customers?${name}=1`, { key }), `#/query/${name}`);
  });

  it("names every unknown parameter", async () => {
    const { key } = await newOrganization();
    const response = await call("GET", "/v1/customers?limit=5&foo=1&bar=2", { key });
    expectValidationFailed(response, "#/query/foo");
    expectValidationFailed(response, "#/query/bar");
  });
});

describe("GET /v1/customers: order", () => {
  it("is newest first by insertion, even when every created_at is identical", async () => {
    const { key } = await newOrganization();
    freezeClock("2026-05-05T12:00:00.000Z");
    const created = await createInOrder(key, 8, (index) => ({ name: `c${index}` }));
    const response = await list(key);
    expect(response.body.data.map((c: { created_at: string }) => c.created_at)).toEqual(
      Array(8).fill("2026-05-05T12:00:00.000Z"),
    );
    expect(ids(response)).toEqual([...created].reverse());
  });

  it("keeps insertion order across pages when created_at ties", async () => {
    const { key } = await newOrganization();
    freezeClock("2026-05-05T12:00:00.000Z");
    const created = await createInOrder(key, 8);
    const pages = await walk(key, { limit: 3 });
    expect(pages.map((page) => page.body.data.length)).toEqual([3, 3, 2]);
    expect(pages.flatMap(ids)).toEqual([...created].reverse());
  });

  it("is newest first with real time, including caller-chosen ids that sort the other way", async () => {
    const { key } = await newOrganization();
    const created = await createInOrder(key, 6, (index) => ({ id: `z-${9 - index}` }));
    expect(created).toEqual(["z-9", "z-8", "z-7", "z-6", "z-5", "z-4"]);
    expect(ids(await list(key))).toEqual(["z-4", "z-5", "z-6", "z-7", "z-8", "z-9"]);
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

describe("GET /v1/customers: filters", () => {
  it("email matches exactly and case-insensitively, returning the email as stored", async () => {
    const { key } = await newOrganization();
    const jenny = await createCustomer(key, { email: "Jenny.Doe@Example.com" });
    await createCustomer(key, { email: "jenny.doe@example.org" });
    await createCustomer(key, { email: "xjenny.doe@example.com" });
    await createCustomer(key, { email: "jenny.doe@example.com.au" });
    await createCustomer(key, {});
    for (const email of ["Jenny.Doe@Example.com", "jenny.doe@example.com", "JENNY.DOE@EXAMPLE.COM"]) {
      const response = await list(key, { email });
      expect(response.status).toBe(200);
      expect(ids(response)).toEqual([jenny.id]);
      expect(response.body.data[0].email).toBe("Jenny.Doe@Example.com");
      expect(response.body.has_more).toBe(false);
    }
    for (const email of ["jenny.doe@example", "jenny", "%", "nobody@example.com"]) {
      expect(ids(await list(key, { email }))).toEqual([]);
    }
  });

  it.each([
    "ünïcødé/ключ 42",
    "a/b/c",
    "with spaces  and  doubles",
    "100% real",
    "a+b",
    "日本語のID",
    "emoji 🎉 id",
    "?x=1&y=2#frag",
  ])("alternative_id %j matches exactly", async (alternativeId) => {
    const { key } = await newOrganization();
    const decoys = [`${alternativeId}x`, `x${alternativeId}`, alternativeId.toUpperCase(), `${alternativeId} `];
    for (const decoy of new Set(decoys))
      if (decoy !== alternativeId) await createCustomer(key, { alternative_id: decoy });
    const target = await createCustomer(key, { alternative_id: alternativeId });
    await createCustomer(key, { alternative_id: `other-${alternativeId}` });
    const response = await list(key, { alternative_id: alternativeId });
    expect(response.status, response.text).toBe(200);
    expect(ids(response)).toEqual([target.id]);
    expect(response.body.data[0].alternative_id).toBe(alternativeId);
    expect(response.body.has_more).toBe(false);
  });

  it("alternative_id is case-sensitive and not a prefix match", async () => {
    const { key } = await newOrganization();
    const lower = await createCustomer(key, { alternative_id: "abc" });
    const upper = await createCustomer(key, { alternative_id: "ABC" });
    await createCustomer(key, { alternative_id: "abcd" });
    expect(ids(await list(key, { alternative_id: "abc" }))).toEqual([lower.id]);
    expect(ids(await list(key, { alternative_id: "ABC" }))).toEqual([upper.id]);
    expect(ids(await list(key, { alternative_id: "ab" }))).toEqual([]);
    expect(ids(await list(key, { alternative_id: "%" }))).toEqual([]);
  });

  describe("created_gte / created_lt", () => {
    const T1 = "2026-03-01T10:00:00.000Z";
    const T2 = "2026-03-01T10:00:00.001Z";
    const T3 = "2026-03-01T10:00:00.002Z";
    const T4 = "2026-03-01T10:00:01.000Z";

    async function fourCustomers() {
      const { key } = await newOrganization();
      const byName: Record<string, string> = {};
      for (const [name, at] of [
        ["A", T1],
        ["B", T2],
        ["C", T3],
        ["D", T4],
      ] as const) {
        freezeClock(at);
        const created = await createCustomer(key, { name });
        expect(created.created_at).toBe(at);
        byName[name] = created.id;
      }
      vi.useRealTimers();
      return { key, byName };
    }

    it.each([
      [{ created_gte: T2 }, "DCB"],
      [{ created_lt: T2 }, "A"],
      [{ created_gte: T2, created_lt: T3 }, "B"],
      [{ created_gte: T2, created_lt: T4 }, "CB"],
      [{ created_gte: T2, created_lt: T2 }, ""],
      [{ created_gte: T3, created_lt: T2 }, ""],
      [{ created_gte: T4 }, "D"],
      [{ created_lt: T1 }, ""],
      [{ created_gte: T1 }, "DCBA"],
      [{ created_lt: "2026-03-01T10:00:01.001Z" }, "DCBA"],
      [{ created_gte: "2026-03-01T10:00:01Z" }, "D"],
      [{ created_gte: "2026-03-01T11:00:00.001+01:00" }, "DCB"],
      [{ created_lt: "2026-03-01T05:00:00.002-05:00" }, "BA"],
    ])("%j lists %j (gte inclusive, lt exclusive)", async (filters, expected) => {
      const { key, byName } = await fourCustomers();
      const response = await list(key, filters);
      expect(response.status, response.text).toBe(200);
      expect(ids(response)).toEqual([...expected].map((name) => byName[name]));
    });

    it("pages through a time window", async () => {
      const { key, byName } = await fourCustomers();
      const pages = await walk(key, { created_gte: T1, created_lt: T4, limit: 1 });
      expect(pages.flatMap(ids)).toEqual([byName.C, byName.B, byName.A]);
      expect(pages.at(-1)!.body.has_more).toBe(false);
    });

    it.each([
      ["created_gte", "yesterday"],
      ["created_gte", "2026-13-01T00:00:00Z"],
      ["created_lt", "1700000000000"],
      ["created_lt", "2026-03-01"],
      ["created_gte", ""],
    ])("rejects %s=%j (400 naming the parameter)", async (name, value) => {
      const { key } = await newOrganization();
      expectValidationFailed(await list(key, { [name]: value }), `#/query/${name}`);
    });
  });

  it("combines filters (all must match)", async () => {
    const { key } = await newOrganization();
    freezeClock("2026-04-01T00:00:00.000Z");
    const one = await createCustomer(key, { email: "one@example.com", alternative_id: "alt-1" });
    freezeClock("2026-04-02T00:00:00.000Z");
    const two = await createCustomer(key, { email: "two@example.com", alternative_id: "alt-2" });
    vi.useRealTimers();
    const cases: [Query, string[]][] = [
      [{ email: "ONE@example.com", alternative_id: "alt-1" }, [one.id]],
      [{ email: "one@example.com", alternative_id: "alt-2" }, []],
      [{ email: "two@example.com", created_gte: "2026-04-02T00:00:00.000Z" }, [two.id]],
      [{ email: "two@example.com", created_lt: "2026-04-02T00:00:00.000Z" }, []],
      [{ alternative_id: "alt-1", created_lt: "2026-04-02T00:00:00.000Z" }, [one.id]],
      [{ alternative_id: "alt-1", created_gte: "2026-04-01T00:00:00.001Z" }, []],
      [
        {
          email: "two@example.com",
          alternative_id: "alt-2",
          created_gte: "2026-04-01T00:00:00.000Z",
          created_lt: "2026-04-03T00:00:00.000Z",
          limit: 1,
        },
        [two.id],
      ],
    ];
    for (const [filters, expected] of cases) {
      const response = await list(key, filters);
      expect(response.status, JSON.stringify(filters)).toBe(200);
      expect(ids(response), JSON.stringify(filters)).toEqual(expected);
      expect(response.body.has_more).toBe(false);
    }
  });
});

describe("GET /v1/customers: archived customers", () => {
  it("never lists an archived customer, with or without filters", async () => {
    const { key } = await newOrganization();
    const created = await createInOrder(key, 5, (index) => ({
      email: `c${index}@example.com`,
      alternative_id: `alt-${index}`,
    }));
    await archive(key, created[4]!);
    await archive(key, created[2]!);
    expect(ids(await list(key))).toEqual([created[3], created[1], created[0]]);
    expect(ids(await list(key, { email: "c2@example.com" }))).toEqual([]);
    expect(ids(await list(key, { alternative_id: "alt-4" }))).toEqual([]);
    expect(ids(await list(key, { created_gte: "2000-01-01T00:00:00.000Z" }))).toEqual([
      created[3],
      created[1],
      created[0],
    ]);
    const pages = await walk(key, { limit: 1 });
    expect(pages.flatMap(ids)).toEqual([created[3], created[1], created[0]]);
  });

  it("lists a new customer that reuses an archived customer's email and alternative ID, once", async () => {
    const { key } = await newOrganization();
    const old = await createCustomer(key, { email: "reuse@example.com", alternative_id: "reuse" });
    await archive(key, old.id);
    const fresh = await createCustomer(key, { email: "REUSE@example.com", alternative_id: "reuse" });
    expect(ids(await list(key))).toEqual([fresh.id]);
    expect(ids(await list(key, { email: "reuse@example.com" }))).toEqual([fresh.id]);
    expect(ids(await list(key, { alternative_id: "reuse" }))).toEqual([fresh.id]);
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
    expectValidationFailed(
      await list(key, { ...reusedWith, limit: 1, cursor: first.body.next_cursor }),
      "#/query/cursor",
    );
    // the same cursor with its own filters still works
    const second = await list(key, { ...issuedFor, limit: 1, cursor: first.body.next_cursor });
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
    expectValidationFailed(
      await call("GET", `/v1/customers?cursor=${encodeURIComponent(cursor)}`, { key }),
      "#/query/cursor",
    );
  });

  it("a cursor survives the archiving of the customer it points after", async () => {
    const { key } = await newOrganization();
    const created = (await createInOrder(key, 6)).reverse();
    const first = await list(key, { limit: 3 });
    expect(ids(first)).toEqual(created.slice(0, 3));
    await archive(key, created[2]!);
    const second = await list(key, { limit: 3, cursor: first.body.next_cursor });
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
      const page: Called = await list(key, cursor === null ? { limit: 7 } : { limit: 7, cursor });
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

describe("GET /v1/customers: tenancy", () => {
  it("never lists another organization's customers", async () => {
    const a = await newOrganization("A");
    const b = await newOrganization("B");
    const aIds = await createInOrder(a.key, 3, (index) => ({
      alternative_id: `shared-${index}`,
      email: `a${index}@example.com`,
    }));
    const bIds = await createInOrder(b.key, 2, (index) => ({
      alternative_id: `shared-${index}`,
      email: `b${index}@example.com`,
    }));
    expect(ids(await list(a.key))).toEqual([...aIds].reverse());
    expect(ids(await list(b.key))).toEqual([...bIds].reverse());
    expect(ids(await list(a.key, { alternative_id: "shared-0" }))).toEqual([aIds[0]]);
    expect(ids(await list(b.key, { alternative_id: "shared-0" }))).toEqual([bIds[0]]);
    expect(ids(await list(a.key, { email: "b0@example.com" }))).toEqual([]);
    expect(ids(await list(b.key, { email: "a0@example.com" }))).toEqual([]);
    // walking A's pages never reaches B's customers
    const pages = await walk(a.key, { limit: 1 });
    expect(pages.flatMap(ids)).toEqual([...aIds].reverse());
    // A's cursor used by B shows only B's customers
    const aFirst = await list(a.key, { limit: 1 });
    const bWithACursor = await list(b.key, { limit: 1, cursor: aFirst.body.next_cursor });
    if (bWithACursor.status === 200) for (const id of ids(bWithACursor)) expect(bIds).toContain(id);
    else expect(bWithACursor.status).toBe(400);
    // GET by alternative ID stays in the caller's organization too
    expect((await call("GET", altPath("shared-2"), { key: b.key })).status).toBe(404);
  });
});
