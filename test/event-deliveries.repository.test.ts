import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  claimDeliveriesToSend,
  claimOverdueDeliveries,
  insertReplayDeliveries,
  listDeliveries,
  newDeliveriesOfEvents,
  recordOutcomes,
} from "../src/event-deliveries/deliveries.repository";
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

describe("delivery queries' plans", () => {
  it.each([
    [
      "newDeliveriesOfEvents",
      (db: Db) => newDeliveriesOfEvents(db, "org_1", ["evt_1", "evt_2"]),
      /SEARCH event_deliveries USING INDEX event_deliveries_by_event \(event_id=\?\)/,
    ],
    [
      "claimOverdueDeliveries",
      (db: Db) => claimOverdueDeliveries(db, NOW, NOW, 100),
      /SEARCH event_deliveries USING (COVERING )?INDEX event_deliveries_due \(next_attempt_at<\?\)/,
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
      (db: Db) =>
        insertReplayDeliveries(
          db,
          "org_1",
          "ed_1",
          { since: NOW, limit: 1000, cap: 10_000 },
          { id: "replay_1", now: NOW, lastReplayBefore: NOW },
        ),
      /SEARCH e USING INDEX events_by_org_created \(org_id=\? AND created_at>\?\)/,
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
      const onDeliveries = plan.filter((line) => /event_deliveries|\b[ve]\b/.test(line));
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
