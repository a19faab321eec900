import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_REPLAY_DELIVERIES } from "../src/event-destinations/event-destinations.service";
import { bareCustomer, createDestination, destinationPath, orgWithDelivery, withQueue } from "./events-helpers";
import { call, expectProblem, newOrganization, type Problem } from "./helpers";
import type { ReplayResult } from "./response-types";

// Spec section 7: a destination is replayed at most once a minute, one replay creates at most
// 10,000 deliveries, and the answer says how many and where it stopped.

const SINCE = "2020-01-01T00:00:00.000Z";

const replayPath = (id: string) => `${destinationPath(id)}/replay`;

/** The minute since the destination's last replay passes. */
const minutePasses = (destinationId: string) =>
  env.DB.prepare("UPDATE event_destinations SET last_replay_at = ?2 WHERE id = ?1")
    .bind(destinationId, new Date(Date.now() - 61_000).toISOString())
    .run();

const deliveriesTo = async (destinationId: string) =>
  (
    await env.DB.prepare("SELECT COUNT(*) AS n FROM event_deliveries WHERE destination_id = ?1")
      .bind(destinationId)
      .first<{ n: number }>()
  )?.n;

describe("a destination is replayed at most once a minute", () => {
  it("answers a second replay within the minute 429 rate_limited with Retry-After, writing nothing", async () => {
    const { key, destination } = await orgWithDelivery();
    const { env: queueEnv, sent } = withQueue();
    const first = await call<ReplayResult>("POST", replayPath(destination.id), {
      key,
      body: { since: SINCE },
      env: queueEnv,
    });
    expect(first.status).toBe(202);
    expect(first.body.deliveries_created).toBe(1);
    expect(await deliveriesTo(destination.id)).toBe(2);

    const second = await call<Problem>("POST", replayPath(destination.id), {
      key,
      body: { since: SINCE },
      env: queueEnv,
    });
    expectProblem(second, 429, "rate_limited");
    const retryAfter = Number(second.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await deliveriesTo(destination.id)).toBe(2);
    expect(sent).toHaveLength(1);

    // Another destination of the organization has its own minute.
    const other = await createDestination(key);
    expect((await call("POST", replayPath(other.id), { key, body: { since: SINCE }, env: queueEnv })).status).toBe(202);

    await minutePasses(destination.id);
    const third = await call<ReplayResult>("POST", replayPath(destination.id), {
      key,
      body: { since: SINCE },
      env: queueEnv,
    });
    expect(third.status).toBe(202);
    expect(await deliveriesTo(destination.id)).toBe(3);
  });

  it("a replay refused as too soon under an Idempotency-Key runs again with that key once the minute passed", async () => {
    const { key, destination } = await orgWithDelivery();
    const { env: queueEnv } = withQueue();
    const send = (idempotencyKey: string) =>
      call<ReplayResult>("POST", replayPath(destination.id), {
        key,
        body: { since: SINCE },
        env: queueEnv,
        headers: { "Idempotency-Key": idempotencyKey },
      });
    expect((await send("first")).status).toBe(202);
    const tooSoon = await send("second");
    expect(tooSoon.status).toBe(429);
    await minutePasses(destination.id);
    // A 429 is "later", not the key's answer: it was not kept, so the request runs now.
    const later = await send("second");
    expect(later.status).toBe(202);
    expect(later.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("of concurrent replays exactly one writes its deliveries", async () => {
    const { key, destination } = await orgWithDelivery();
    const { env: queueEnv } = withQueue();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        call<ReplayResult>("POST", replayPath(destination.id), { key, body: { since: SINCE }, env: queueEnv }),
      ),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([202, 429, 429, 429, 429, 429]);
    expect(await deliveriesTo(destination.id)).toBe(2);
  });

  it("a refused replay (disabled destination) does not use up the minute", async () => {
    const { key, destination } = await orgWithDelivery();
    const { env: queueEnv } = withQueue();
    await call("PATCH", destinationPath(destination.id), { key, body: { status: "disabled" } });
    expectProblem(
      await call("POST", replayPath(destination.id), { key, body: { since: SINCE }, env: queueEnv }),
      409,
      "destination_disabled",
    );
    await call("PATCH", destinationPath(destination.id), { key, body: { status: "enabled" } });
    expect(
      (await call("POST", replayPath(destination.id), { key, body: { since: SINCE }, env: queueEnv })).status,
    ).toBe(202);
  });

  it("another organization's destination is a 404, and its minute is untouched", async () => {
    const { key, destination } = await orgWithDelivery();
    const other = await newOrganization("Other");
    expectProblem(
      await call("POST", replayPath(destination.id), { key: other.key, body: { since: SINCE } }),
      404,
      "not_found",
    );
    const { env: queueEnv } = withQueue();
    expect(
      (await call("POST", replayPath(destination.id), { key, body: { since: SINCE }, env: queueEnv })).status,
    ).toBe(202);
  });
});

describe("one replay creates at most 10,000 deliveries", () => {
  /** `count` customer.updated events straight into D1, all created at `createdAt`. */
  async function seedEvents(orgId: string, customerId: string, prefix: string, count: number, createdAt: string) {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
       SELECT ?5 || printf('%06d', i), ?1, 'customer.updated', ?2, i, '{"object":{"object":"customer"}}', NULL, ?4 FROM n`,
    )
      .bind(orgId, customerId, count, createdAt, prefix)
      .run();
  }

  it("pages stop before an instant that would pass the cap; one instant past it gives its first 10,000", async () => {
    expect(MAX_REPLAY_DELIVERIES).toBe(10_000);
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await seedEvents(orgId, customer.id, "evt_early_", 5, "2026-11-20T00:00:00.000Z");
    await seedEvents(orgId, customer.id, "evt_crowd_", 10_500, "2026-11-20T00:00:01.000Z");
    await seedEvents(orgId, customer.id, "evt_late_", 3, "2026-11-20T00:00:02.000Z");
    const destination = await createDestination(key);
    const { env: queueEnv, sent } = withQueue();
    const pages: ReplayResult[] = [];
    let since: string | null = "2026-11-19T00:00:00.000Z";
    while (since !== null && pages.length < 5) {
      const response: Awaited<ReturnType<typeof call<ReplayResult>>> = await call<ReplayResult>(
        "POST",
        replayPath(destination.id),
        { key, body: { since }, env: queueEnv },
      );
      expect(response.status, response.text).toBe(202);
      pages.push(response.body);
      since = response.body.next_since;
      await minutePasses(destination.id);
    }
    expect(pages.map((page) => [page.deliveries_created, page.next_since, page.has_more])).toEqual([
      // 1,000 would end inside the crowded instant, whose rest passes the cap: stop before it.
      [5, "2026-11-20T00:00:01.000Z", true],
      // The instant alone holds more than the cap: its first 10,000, then on.
      [10_000, "2026-11-20T00:00:02.000Z", true],
      [3, null, false],
    ]);
    expect(await deliveriesTo(destination.id)).toBe(10_008);
    expect(sent).toHaveLength(10_008);
  });

  it("an instant that fits under the cap is taken whole", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await seedEvents(orgId, customer.id, "evt_early_", 999, "2026-11-20T00:00:00.000Z");
    await seedEvents(orgId, customer.id, "evt_crowd_", 4_000, "2026-11-20T00:00:01.000Z");
    await seedEvents(orgId, customer.id, "evt_late_", 1, "2026-11-20T00:00:02.000Z");
    const destination = await createDestination(key);
    const { env: queueEnv } = withQueue();
    const response = await call<ReplayResult>("POST", replayPath(destination.id), {
      key,
      body: { since: "2026-11-19T00:00:00.000Z" },
      env: queueEnv,
    });
    expect(response.body).toMatchObject({
      deliveries_created: 4_999,
      has_more: true,
      next_since: "2026-11-20T00:00:02.000Z",
    });
  });
});
