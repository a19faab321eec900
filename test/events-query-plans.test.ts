import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { insertReplayDeliveries } from "../src/event-deliveries/replay.repository";
import { EVENT_TYPES } from "../src/events/event-types";
import { type EventListFilters, listEvents } from "../src/events/events-reading.repository";
import type { Db } from "../src/lib/db";

// Every list of GET /v1/events and every replay page is one range of one index, read in the
// index's order: no sort of the organization's events, no walk of them (docs/fairness.md).
// Pinned two ways: the plan of every filter combination (with and without ANALYZE), and the rows
// D1 reports it read for a page, against an organization holding many more events than a page.

const ORG = "org_plans";
const OTHER_ORG = "org_other";
const EVENTS = 3_000;
const BASE = "2026-11-01T00:00:00.000Z";
/** Every 1,000th event is this type: a rare one. */
const RARE = "address.deleted";

type Statement = { sql: string; params: unknown[] };

/**
 * A D1 handle that runs everything on the test database and keeps what it ran: each prepared
 * statement with its bound values, and the rows D1 read for each (`meta.rows_read`).
 */
function observedDb(): { db: Db; statements: Statement[]; rowsRead: number[] } {
  const statements: Statement[] = [];
  const rowsRead: number[] = [];
  const record = (result: D1Result) => {
    rowsRead.push(result.meta.rows_read);
    return result;
  };
  const db: Db = {
    prepare(sql: string) {
      const entry: Statement = { sql, params: [] };
      statements.push(entry);
      const wrap = (statement: D1PreparedStatement): D1PreparedStatement =>
        new Proxy(statement, {
          get(target, name) {
            if (name === "bind") {
              return (...params: unknown[]) => {
                entry.params = params;
                return wrap(target.bind(...params));
              };
            }
            if (name === "all") return async () => record(await target.all());
            if (name === "run") return async () => record(await target.run());
            const member = Reflect.get(target, name);
            return typeof member === "function" ? member.bind(target) : member;
          },
        });
      return wrap(env.DB.prepare(sql));
    },
    batch: async <T>(batch: D1PreparedStatement[]) =>
      (await env.DB.batch<T>(batch)).map((result) => {
        rowsRead.push(result.meta.rows_read);
        return result;
      }),
  };
  return { db, statements, rowsRead };
}

async function planOf({ sql, params }: Statement): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail).join("\n");
}

const at = (second: number) => new Date(Date.parse(BASE) + second * 1000).toISOString();

/** The organization's events: one a second, types in turn (RARE every 1,000th), 50 customers. */
async function seedEvents(orgId: string, count: number) {
  const common = EVENT_TYPES.filter((type) => type !== RARE);
  const rows = Array.from({ length: count }, (_, n) => ({
    id: `evt_${orgId}_${n}`,
    type: n % 1000 === 999 ? RARE : common[n % common.length],
    customer_id: `cus_${n % 50}`,
    created_at: at(n),
  }));
  await env.DB.prepare(
    `INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
     SELECT json_extract(value, '$.id'), ?1, json_extract(value, '$.type'), json_extract(value, '$.customer_id'),
       1, '{"object":{}}', NULL, json_extract(value, '$.created_at')
     FROM json_each(?2)`,
  )
    .bind(orgId, JSON.stringify(rows))
    .run();
}

beforeEach(async () => {
  await env.DB.prepare("INSERT INTO organizations (id, name, created_at) VALUES (?1, 'Plans', ?3), (?2, 'Other', ?3)")
    .bind(ORG, OTHER_ORG, BASE)
    .run();
  await seedEvents(ORG, EVENTS);
  await seedEvents(OTHER_ORG, 500);
});

const TYPE_FILTERS: [string, EventListFilters][] = [
  ["no type", {}],
  ["type exact", { type: "customer.updated" }],
  ["type exact, rare", { type: RARE }],
  ["type prefix", { typePrefix: "customer." }],
  ["type prefix, rare", { typePrefix: "address." }],
];
const CUSTOMER_FILTERS: [string, EventListFilters][] = [
  ["", {}],
  [" + customer_id", { customerId: "cus_7" }],
];
const TIME_FILTERS: [string, EventListFilters][] = [
  ["", {}],
  [" + created_gte", { createdGte: at(100) }],
  [" + created_lt", { createdLt: at(2_900) }],
  [" + created_gte + created_lt", { createdGte: at(100), createdLt: at(2_900) }],
];
const COMBINATIONS = TYPE_FILTERS.flatMap(([typeName, type]) =>
  CUSTOMER_FILTERS.flatMap(([customerName, customer]) =>
    TIME_FILTERS.map(([timeName, time]) => ({
      name: `${typeName}${customerName}${timeName}`,
      filters: { ...type, ...customer, ...time },
    })),
  ),
);

function expectedIndex(filters: EventListFilters): string {
  const customer = filters.customerId !== undefined ? "customer_" : "";
  if (filters.type !== undefined) return `events_by_org_${customer}type_created`;
  if (filters.typePrefix !== undefined) return `events_by_org_${customer}group_created`;
  return customer ? "events_by_org_customer_created" : "events_by_org_created";
}

/** The seq of the 40th newest event these filters list: a cursor in the middle of the list. */
async function cursorFor(filters: EventListFilters): Promise<number | null> {
  const rows = await listEvents(env.DB, ORG, filters, null, 40);
  return rows.at(-1)?.seq ?? null;
}

const PAGE = 21;

describe("GET /v1/events: every filter combination is one index range, in order", () => {
  for (const analyzed of [false, true]) {
    it(`plans${analyzed ? " after ANALYZE" : " without statistics"}: the expected index, no temp B-tree`, async () => {
      if (analyzed) await env.DB.prepare("ANALYZE").run();
      for (const { name, filters } of COMBINATIONS) {
        for (const cursor of [null, await cursorFor(filters)]) {
          const observed = observedDb();
          await listEvents(observed.db, ORG, filters, cursor, PAGE);
          const [statement] = observed.statements;
          if (!statement) throw new Error("no statement");
          const plan = await planOf(statement);
          const label = `${name}${cursor === null ? "" : " + cursor"}:\n${plan}`;
          expect(plan, label).toContain(`USING INDEX ${expectedIndex(filters)} (org_id=?`);
          expect(plan, label).not.toContain("TEMP B-TREE");
          expect(plan, label).not.toMatch(/^SCAN events/m);
        }
      }
    });
  }

  it("a page reads about what it returns, whatever the organization holds", async () => {
    for (const { name, filters } of COMBINATIONS) {
      for (const cursor of [null, await cursorFor(filters)]) {
        const observed = observedDb();
        const rows = await listEvents(observed.db, ORG, filters, cursor, PAGE);
        const [read = Number.NaN] = observed.rowsRead;
        // An index entry and its row per event returned, and the cursor's own row: never the
        // organization's 3,000 events, nor the thousands a filter skips.
        expect(read, `${name}${cursor === null ? "" : " + cursor"}: ${rows.length} rows`).toBeLessThanOrEqual(
          2 * (rows.length + 1) + 4,
        );
      }
    }
  });

  it("lists newest first by (created_at, seq), and a cursor continues exactly after its event", async () => {
    const filters: EventListFilters = { typePrefix: "customer." };
    const seen: string[] = [];
    let cursor: number | null = null;
    for (let page = 0; page < 200; page++) {
      const rows: Awaited<ReturnType<typeof listEvents>> = await listEvents(env.DB, ORG, filters, cursor, 100);
      seen.push(...rows.map((row) => row.created_at));
      if (rows.length < 100) break;
      cursor = rows.at(-1)?.seq ?? null;
    }
    const expected = await env.DB.prepare(
      "SELECT created_at FROM events WHERE org_id = ?1 AND type LIKE 'customer.%' ORDER BY created_at DESC, seq DESC",
    )
      .bind(ORG)
      .all<{ created_at: string }>();
    expect(seen).toEqual(expected.results.map((row) => row.created_at));
  });
});

describe("replay: a page reads about what it inserts, whatever the organization holds", () => {
  it.each([
    ["a rare type", [RARE]],
    ["a group and a rare type", ["subscription.*", RARE]],
    ["every event, one page of 1,000", ["*"]],
  ])("%s", async (_name, eventTypes) => {
    const destinationId = `ed_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      `INSERT INTO event_destinations (id, org_id, url, event_types, secret, created_at, updated_at)
       VALUES (?1, ?2, 'https://example.com/hook', ?3, 'whsec_x', ?4, ?4)`,
    )
      .bind(destinationId, ORG, JSON.stringify(eventTypes), BASE)
      .run();
    const observed = observedDb();
    const now = new Date().toISOString();
    const result = await insertReplayDeliveries(
      observed.db,
      ORG,
      destinationId,
      { since: BASE, limit: 1000, cap: 10_000 },
      { id: `replay_${destinationId}`, now, lastReplayBefore: now },
    );
    if (result.outcome !== "replayed") throw new Error(result.outcome);
    const inserted = result.answer.deliveries_created;
    expect(inserted).toBe(result.deliveries.length);
    expect(inserted).toBeGreaterThan(0);
    const read = observed.rowsRead.reduce((sum, n) => sum + n, 0);
    // Each statement reads the page's index entries and rows a few times over (its bound, its
    // count, the insert, the count of what it inserted), never the 3,000 events it skips.
    expect(read, `${inserted} inserted`).toBeLessThanOrEqual(12 * inserted + 60);
  });
});
