import { afterEach, describe, expect, it, vi } from "vitest";
import { createInOrder, freezeClock, list, nextCursorOf, type Query, walk } from "./customers-list-helpers";
import { altPath, archive, call, createCustomer, expectValidationFailed, ids, newOrganization } from "./helpers";

/** GET /v1/customers (spec §3 "List"): order, filters, archived customers and tenancy. */

afterEach(() => {
  vi.useRealTimers();
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
      expect(response.body.data[0]?.email).toBe("Jenny.Doe@Example.com");
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
    expect(response.body.data[0]?.alternative_id).toBe(alternativeId);
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
      expectValidationFailed(await list(key, { [name]: value }), [`#/query/${name}`]);
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
    const bWithACursor = await list(b.key, { limit: 1, cursor: nextCursorOf(aFirst) });
    if (bWithACursor.status === 200) for (const id of ids(bWithACursor)) expect(bIds).toContain(id);
    else expect(bWithACursor.status).toBe(400);
    // GET by alternative ID stays in the caller's organization too
    expect((await call("GET", altPath("shared-2"), { key: b.key })).status).toBe(404);
  });
});
