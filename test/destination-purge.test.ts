import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { resendOverdueDeliveries } from "../src/event-deliveries/sweep";
import { purgeDeletedDestinations } from "../src/event-destinations/cleanup";
import { listDeliveriesOfEvents } from "../src/event-destinations/event-destinations.service";
import worker from "../src/index";
import type { Db } from "../src/lib/db";
import { newId } from "../src/lib/ids";
import { recordingD1 } from "./d1-spy";
import {
  bareCustomer,
  capturingQueue,
  consume,
  createDestination,
  deliveriesOf,
  destinationPath,
  mockReceiver,
  orgWithDelivery,
  recordEvent,
} from "./events-helpers";
import { call, newOrganization } from "./helpers";

// Deleting a destination deletes its row only; its deliveries (possibly hundreds of thousands)
// are purged by the half-hourly housekeeping in short batches (spec section 7: no request holds
// D1 for long). Meanwhile nothing shows or sends them.

afterEach(() => {
  vi.restoreAllMocks();
});

async function runHousekeeping(): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/30 * * * *" }), env);
}

const deliveriesTo = async (destinationId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM event_deliveries WHERE destination_id = ?1")
      .bind(destinationId)
      .first<{ n: number }>()
  )?.n;

const deletionRecords = async (orgId: string) =>
  (
    await env.DB.prepare("SELECT destination_id FROM deleted_event_destinations WHERE org_id = ?1 ORDER BY seq")
      .bind(orgId)
      .all<{ destination_id: string }>()
  ).results.map((row) => row.destination_id);

/** `count` succeeded deliveries to one destination, straight into D1 (a long history). */
async function insertDeliveries(orgId: string, destinationId: string, count: number) {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
     INSERT INTO event_deliveries (id, org_id, destination_id, event_id, event_type, status, created_at, updated_at)
     SELECT 'evd_' || ?2 || '_' || i, ?1, ?2, 'evt_bulk_' || i, 'customer.updated', 'succeeded', ?4, ?4 FROM n`,
  )
    .bind(orgId, destinationId, count, new Date().toISOString())
    .run();
}

/** The test database, summing the rows D1 reports each batch statement read. */
function rowsReadDb(): { db: Db; rowsRead: number[] } {
  const rowsRead: number[] = [];
  const db: Db = {
    prepare: (sql: string) => env.DB.prepare(sql),
    batch: async <T>(statements: D1PreparedStatement[]) => {
      const results = await env.DB.batch<T>(statements);
      rowsRead.push(...results.map((result) => result.meta.rows_read));
      return results;
    },
  };
  return { db, rowsRead };
}

describe("DELETE /v1/event_destinations/{id} leaves the deliveries to the housekeeping", () => {
  it("deletes no delivery in the request; the housekeeping purges only the deleted destination's", async () => {
    const { key, orgId } = await newOrganization();
    const other = await newOrganization("Other");
    const deleted = await createDestination(key);
    const kept = await createDestination(key);
    const theirs = await createDestination(other.key);
    const customer = await bareCustomer(orgId);
    const theirCustomer = await bareCustomer(other.orgId);
    for (let i = 0; i < 3; i++) await recordEvent(orgId, customer.id);
    await recordEvent(other.orgId, theirCustomer.id);
    expect(await deliveriesTo(deleted.id)).toBe(3);

    const recorded = recordingD1(env.DB);
    const response = await call("DELETE", destinationPath(deleted.id), { key, env: { ...env, DB: recorded.db } });
    expect(response.status).toBe(200);
    expect(recorded.statements.filter((sql) => /event_deliveries/.test(sql))).toEqual([]);
    expect(await deliveriesTo(deleted.id)).toBe(3);
    expect(await deletionRecords(orgId)).toEqual([deleted.id]);
    // Gone for the API at once, though its rows wait.
    expect((await call("GET", `${destinationPath(deleted.id)}/deliveries`, { key })).status).toBe(404);

    await runHousekeeping();
    expect(await deliveriesTo(deleted.id)).toBe(0);
    expect(await deletionRecords(orgId)).toEqual([]);
    expect(await deliveriesTo(kept.id)).toBe(3);
    expect(await deliveriesTo(theirs.id)).toBe(1);
  });

  it("records nothing for a destination that is not there (404)", async () => {
    const { key, orgId } = await newOrganization();
    const other = await newOrganization("Other");
    const theirs = await createDestination(other.key);
    expect((await call("DELETE", destinationPath(theirs.id), { key })).status).toBe(404);
    expect((await call("DELETE", destinationPath(newId("ed")), { key })).status).toBe(404);
    expect(await deletionRecords(orgId)).toEqual([]);
    expect(await deletionRecords(other.orgId)).toEqual([]);
  });
});

describe("the purge of deleted destinations' deliveries", () => {
  it("deletes in batches of at most its size and reports the backlog it leaves", async () => {
    const { key, orgId } = await newOrganization();
    const first = await createDestination(key);
    const second = await createDestination(key);
    const empty = await createDestination(key);
    await insertDeliveries(orgId, first.id, 5);
    await insertDeliveries(orgId, second.id, 3);
    for (const destination of [first, second, empty]) {
      expect((await call("DELETE", destinationPath(destination.id), { key })).status).toBe(200);
    }

    // A spent budget: one batch, then the count of what is left (deliveries and records). The
    // batch took 4 deliveries of the first deleted, and the record of the empty one.
    const started = await purgeDeletedDestinations(env.DB, { batchSize: 4, budgetMs: 0 });
    expect(started).toEqual({ deleted: 4 + 1, backlog: 1 + 3 + 2 });
    expect(await deliveriesTo(first.id)).toBe(1);
    expect(await deliveriesTo(second.id)).toBe(3);
    expect(await deletionRecords(orgId)).toEqual([first.id, second.id]);

    const rest = await purgeDeletedDestinations(env.DB, { batchSize: 4 });
    expect(rest).toEqual({ deleted: 1 + 3 + 2, backlog: 0 });
    expect(await deliveriesTo(first.id)).toBe(0);
    expect(await deliveriesTo(second.id)).toBe(0);
    expect(await deletionRecords(orgId)).toEqual([]);
  });

  it("reads what it deletes, not the deliveries of live destinations", async () => {
    const { key, orgId } = await newOrganization();
    const live = await createDestination(key);
    const gone = await createDestination(key);
    await insertDeliveries(orgId, live.id, 2_000);
    await insertDeliveries(orgId, gone.id, 10);
    expect((await call("DELETE", destinationPath(gone.id), { key })).status).toBe(200);

    const { db, rowsRead } = rowsReadDb();
    expect(await purgeDeletedDestinations(db, { batchSize: 4 })).toEqual({ deleted: 10 + 1, backlog: 0 });
    expect(await deliveriesTo(live.id)).toBe(2_000);
    // Three batches of two statements, each reading a few dozen rows, never the 2,000.
    expect(rowsRead.length).toBe(6);
    for (const read of rowsRead) expect(read).toBeLessThan(100);
  });
});

describe("a deleted destination's deliveries before the purge", () => {
  it("the consumer drops a pending one without sending it", async () => {
    const { key, orgId, destination, row } = await orgWithDelivery();
    expect((await call("DELETE", destinationPath(destination.id), { key })).status).toBe(200);
    expect(await deliveriesOf(row.event_id)).toEqual([row]);
    const { received } = mockReceiver(() => 200);
    const result = await consume([{ id: row.id, org_id: orgId }]);
    expect(received).toEqual([]);
    expect(result.explicitAcks).toEqual([expect.any(String)]);
    expect(result.retryMessages).toEqual([]);
    expect(await deliveriesOf(row.event_id)).toEqual([]);
  });

  it("the overdue sweep re-sends it once; the consumer then drops it, so no sweep sends it again", async () => {
    const { key, orgId, destination, row } = await orgWithDelivery();
    expect((await call("DELETE", destinationPath(destination.id), { key })).status).toBe(200);
    await env.DB.prepare("UPDATE event_deliveries SET next_attempt_at = ?2 WHERE id = ?1")
      .bind(row.id, "2026-01-01T00:00:00.000Z")
      .run();
    const { queue, sent } = capturingQueue();
    await resendOverdueDeliveries(env.DB, queue, new Date());
    expect(sent).toEqual([{ org_id: orgId, delivery_id: row.id }]);

    const { received } = mockReceiver(() => 200);
    await consume([{ id: row.id, org_id: orgId }]);
    expect(received).toEqual([]);
    // Past the lease: nothing is left to re-send.
    await resendOverdueDeliveries(env.DB, queue, new Date(Date.now() + 60 * 60_000));
    expect(sent).toHaveLength(1);
  });

  it("the console's timeline shows the deliveries of live destinations only", async () => {
    const { key, orgId, destination, customer, eventId } = await orgWithDelivery();
    const kept = await createDestination(key);
    const later = await recordEvent(orgId, customer.id);
    expect((await call("DELETE", destinationPath(destination.id), { key })).status).toBe(200);
    expect(await deliveriesOf(eventId)).toHaveLength(1);
    const shown = await listDeliveriesOfEvents(env.DB, orgId, [eventId, later]);
    expect(shown.map((each) => [each.event_id, each.destination_id])).toEqual([[later, kept.id]]);
  });
});
