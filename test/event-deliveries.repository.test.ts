import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  claimDeliveriesToSend,
  claimOverdueDeliveries,
  listDeliveries,
  newDeliveriesOfEvents,
  recordOutcomes,
} from "../src/event-deliveries/deliveries.repository";
import { insertReplayDeliveries } from "../src/event-deliveries/replay.repository";
import type { Db } from "../src/lib/db";

type Prepared = { sql: string; params: unknown[] };

/** Runs `use` on a D1 handle that keeps every statement it prepares with its bound parameters. */
async function preparedBy(use: (db: Db) => Promise<unknown>): Promise<Prepared[]> {
  const prepared: Prepared[] = [];
  const db: Db = {
    prepare(sql: string) {
      const entry: Prepared = { sql, params: [] };
      prepared.push(entry);
      const statement = env.DB.prepare(sql);
      return new Proxy(statement, {
        get(target, name) {
          if (name === "bind") {
            return (...params: unknown[]) => {
              entry.params = params;
              return target.bind(...params);
            };
          }
          const member = Reflect.get(target, name);
          return typeof member === "function" ? member.bind(target) : member;
        },
      });
    },
    batch: (statements) => env.DB.batch(statements),
  };
  await use(db);
  return prepared;
}

async function planOf({ sql, params }: Prepared): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

const NOW = "2026-11-27T10:00:00.000Z";

/** Destination `id` of org_1, selecting `eventTypes`. */
async function destinationSelecting(id: string, eventTypes: string[]) {
  await env.DB.batch([
    env.DB.prepare("INSERT OR IGNORE INTO organizations (id, name, created_at) VALUES ('org_1', 'Plans', ?1)").bind(
      NOW,
    ),
    env.DB.prepare(
      `INSERT OR REPLACE INTO event_destinations (id, org_id, url, event_types, secret, created_at, updated_at)
       VALUES (?1, 'org_1', 'https://example.com/hook', ?2, 'whsec_x', ?3, ?3)`,
    ).bind(id, JSON.stringify(eventTypes), NOW),
  ]);
}

describe("delivery queries' plans", () => {
  it.each([
    [
      "newDeliveriesOfEvents",
      (db: Db) => newDeliveriesOfEvents(db, "org_1", ["evt_1", "evt_2"]),
      /SEARCH event_deliveries USING INDEX event_deliveries_by_event \(event_id=\?\)/,
    ],
    [
      "listDeliveries",
      (db: Db) => listDeliveries(db, "org_1", "ed_1", null, 21),
      /SEARCH event_deliveries USING INDEX event_deliveries_by_destination \(org_id=\? AND destination_id=\? AND seq<\?\)/,
    ],
    [
      "claimDeliveriesToSend",
      (db: Db) => claimDeliveriesToSend(db, [{ orgId: "org_1", deliveryId: "evd_1" }], NOW),
      /SEARCH v USING INDEX sqlite_autoindex_event_deliveries_1 \(id=\?\)/,
    ],
    [
      "recordOutcomes",
      (db: Db) =>
        recordOutcomes(db, [
          { deliveryId: "evd_1", status: "succeeded", responseStatus: 204, error: null, nextAttemptAt: null, at: NOW },
          {
            deliveryId: "evd_2",
            status: "pending",
            responseStatus: 503,
            error: "http_status",
            nextAttemptAt: NOW,
            at: NOW,
          },
        ]),
      /SEARCH event_deliveries USING INDEX sqlite_autoindex_event_deliveries_1 \(id=\?\)/,
    ],
    [
      "insertReplayDeliveries",
      async (db: Db) => {
        await destinationSelecting("ed_1", ["customer.*", "address.deleted"]);
        await insertReplayDeliveries(
          db,
          "org_1",
          "ed_1",
          { since: NOW, limit: 1000, cap: 10_000 },
          { id: "replay_1", now: NOW, lastReplayBefore: NOW },
        );
      },
      // One range per selector (a group, a type), merged in time order: never the organization's other events.
      /SEARCH events USING INDEX events_by_org_group_created \(org_id=\? AND <expr>=\? AND created_at>\? AND created_at<\?\)[\s\S]*SEARCH events USING INDEX events_by_org_type_created \(org_id=\? AND type=\? AND created_at>\? AND created_at<\?\)/,
    ],
  ])("%s finds its rows through an index, never by walking deliveries", async (_name, use, expected) => {
    const prepared = await preparedBy(use);
    expect(prepared.length).toBeGreaterThan(0);
    for (const statement of prepared) {
      const plan = await planOf(statement);
      // A replay's claim and its read of the destination: one row, by its primary key.
      if (plan.every((line) => /event_destinations/.test(line))) {
        expect(plan.join(" | ")).toMatch(
          /^SEARCH event_destinations USING INDEX sqlite_autoindex_event_destinations_1 \(/,
        );
        continue;
      }
      const onDeliveries = plan.filter((line) => /event_deliveries|events|\b[ve]\b/.test(line));
      expect(onDeliveries.length, plan.join(" | ")).toBeGreaterThan(0);
      for (const line of plan) {
        expect(line, plan.join(" | ")).not.toMatch(/^SCAN (event_deliveries|v|d|e)\b/);
        // An index searched by the organization alone walks all of its deliveries.
        expect(line, plan.join(" | ")).not.toMatch(/\(org_id=\?\)$/);
        expect(line, plan.join(" | ")).not.toContain("TEMP B-TREE");
      }
    }
    const plans = await Promise.all(prepared.map(planOf));
    expect(plans.flat().join("\n")).toMatch(expected);
  });
});

describe("claimOverdueDeliveries: organizations in turn", () => {
  it("reads each organization's overdue deliveries through its own index range, never walking deliveries", async () => {
    const prepared = await preparedBy((db) => claimOverdueDeliveries(db, NOW, NOW, 100));
    const plans = await Promise.all(prepared.map(planOf));
    const plan = plans.flat().join("\n");
    expect(plan).toMatch(
      /SEARCH event_deliveries USING (COVERING )?INDEX event_deliveries_due_by_org \(org_id=\? AND next_attempt_at<\?\)/,
    );
    expect(plan).not.toMatch(/^SCAN (event_deliveries|v)\b/m);
    // The sorts are of the candidates only: at most `limit` per organization.
  });

  it("takes the oldest of each organization first, then the next of each: a backlog never goes first", async () => {
    const overdue = (org: string, count: number, from: number) =>
      Array.from({ length: count }, (_, i) => ({
        id: `evd_${org}_${i}`,
        org_id: org,
        next_attempt_at: new Date(Date.parse("2026-11-01T00:00:00.000Z") + (from + i) * 1000).toISOString(),
      }));
    const rows = [...overdue("org_a", 300, 0), ...overdue("org_b", 2, 1000), ...overdue("org_c", 1, 2000)];
    await env.DB.prepare(
      "INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'A', ?1), ('org_b', 'B', ?1), ('org_c', 'C', ?1)",
    )
      .bind(NOW)
      .run();
    await env.DB.prepare(
      `INSERT INTO event_deliveries (id, org_id, destination_id, event_id, event_type, next_attempt_at, created_at, updated_at)
       SELECT json_extract(value, '$.id'), json_extract(value, '$.org_id'), 'ed_x', 'evt_x', 'customer.updated',
         json_extract(value, '$.next_attempt_at'), ?2, ?2
       FROM json_each(?1)`,
    )
      .bind(JSON.stringify(rows), NOW)
      .run();
    const first = await claimOverdueDeliveries(env.DB, NOW, "2027-01-01T00:00:00.000Z", 10);
    // All of B's and C's, though A's 300 are older: taken in turns A, B, C, A, B, A, A…
    // (RETURNING lists them in table order; the send puts them in turns again.)
    const ids = (claimed: { id: string }[]) => claimed.map((row) => row.id).sort();
    expect(ids(first)).toEqual(
      ["evd_org_b_0", "evd_org_b_1", "evd_org_c_0", ...[0, 1, 2, 3, 4, 5, 6].map((i) => `evd_org_a_${i}`)].sort(),
    );
    const second = await claimOverdueDeliveries(env.DB, NOW, "2027-01-01T00:00:00.000Z", 10);
    expect(ids(second)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map((i) => `evd_org_a_${i}`).sort());
  });
});
