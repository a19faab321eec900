import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  bareCustomer,
  consume,
  createDestination,
  deliveriesOf,
  destinationPath,
  mockReceiver,
  orgWithDelivery,
  recordEvent,
  withQueue,
} from "./events-helpers";
import {
  call,
  type EventDeliveryList,
  type EventList,
  expectProblem,
  expectValidationFailed,
  newOrganization,
} from "./helpers";
import type { ReplayResult } from "./response-types";

/** Spec section 10 as a client reads it: replay, the events list's filters and cursors, deliveries. */

describe("replay `since`", () => {
  it.each([
    ["yesterday"],
    ["2026-11-01"],
    ["2026-11-01T00:00:00"],
    ["2026-13-01T00:00:00Z"],
    ["1764000000"],
    [1764000000],
    [null],
    [""],
  ])("refuses since=%j at /since", async (since) => {
    const { key, destination } = await orgWithDelivery();
    const { env: queueEnv, sent } = withQueue();
    const response = await call("POST", `${destinationPath(destination.id)}/replay`, {
      key,
      body: { since },
      env: queueEnv,
    });
    expectValidationFailed(response, ["/since"]);
    expect(sent).toEqual([]);
  });

  it("refuses a missing since; a since in the future replays nothing", async () => {
    const { key, destination, eventId } = await orgWithDelivery();
    const { env: queueEnv, sent } = withQueue();
    const path = `${destinationPath(destination.id)}/replay`;
    expectValidationFailed(await call("POST", path, { key, body: {} }), ["/since"]);
    const future = new Date(Date.now() + 3600_000).toISOString();
    const replayed = await call<ReplayResult>("POST", path, { key, body: { since: future }, env: queueEnv });
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ since: future, deliveries_created: 0, has_more: false });
    expect(await deliveriesOf(eventId)).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it("accepts a since older than the 30 days events are kept: it replays every kept event", async () => {
    const { key, destination, eventId } = await orgWithDelivery();
    const { env: queueEnv, sent } = withQueue();
    const response = await call<ReplayResult>("POST", `${destinationPath(destination.id)}/replay`, {
      key,
      body: { since: "2020-01-01T00:00:00+01:00" },
      env: queueEnv,
    });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ since: "2019-12-31T23:00:00.000Z", deliveries_created: 1, has_more: false });
    expect(await deliveriesOf(eventId)).toHaveLength(2);
    expect(sent).toHaveLength(1);
  });
});

describe("replay pages", () => {
  /** `count` customer.updated events straight into D1 (no deliveries), all created at `createdAt`. */
  async function seedEvents(orgId: string, customerId: string, prefix: string, count: number, createdAt: string) {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO events (id, org_id, type, customer_id, sequence, data, request_id, created_at)
       SELECT ?5 || printf('%05d', i), ?1, 'customer.updated', ?2, i, '{"object":{"object":"customer"}}', NULL, ?4 FROM n`,
    )
      .bind(orgId, customerId, count, createdAt, prefix)
      .run();
  }

  it("following next_since replays every event once, also when over 1,000 share one instant (an import)", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    // Inserted first but created later: pages follow created_at, not insertion order.
    await seedEvents(orgId, customer.id, "evt_late_", 3, "2026-11-20T00:00:02.000Z");
    await seedEvents(orgId, customer.id, "evt_import_", 1200, "2026-11-20T00:00:01.000Z");
    await seedEvents(orgId, customer.id, "evt_early_", 2, "2026-11-20T00:00:00.000Z");
    const destination = await createDestination(key);
    const { env: queueEnv, sent } = withQueue();
    const path = `${destinationPath(destination.id)}/replay`;
    let since: string | null = "2026-11-19T00:00:00.000Z";
    const pages: ReplayResult[] = [];
    while (since !== null && pages.length < 5) {
      const response: Awaited<ReturnType<typeof call<ReplayResult>>> = await call<ReplayResult>("POST", path, {
        key,
        body: { since },
        env: queueEnv,
      });
      expect(response.status, response.text).toBe(202);
      pages.push(response.body);
      // A destination is replayed at most once a minute: the minute passes.
      await env.DB.prepare("UPDATE event_destinations SET last_replay_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1")
        .bind(destination.id)
        .run();
      expect(response.body.has_more).toBe(response.body.next_since !== null);
      since = response.body.next_since;
    }
    expect(since).toBeNull();
    const counts = await env.DB.prepare(
      "SELECT COUNT(*) AS deliveries, COUNT(DISTINCT event_id) AS events FROM event_deliveries WHERE destination_id = ?1",
    )
      .bind(destination.id)
      .first();
    expect(counts).toEqual({ deliveries: 1205, events: 1205 });
    expect(pages.reduce((sum, page) => sum + page.deliveries_created, 0)).toBe(1205);
    expect(sent).toHaveLength(1205);
  });
});

describe("GET /v1/events filters", () => {
  it.each([
    "type=customer.",
    "type=customer",
    "type=customer*",
    "type=.*",
    "type=customer.**",
    "type=CUSTOMER.*",
    "type=",
    "type=customer.created&type=customer.updated",
    "customer_id=",
    "created_gte=yesterday",
    "created_lt=2026-11-01",
    "limit=101",
    "limit=1.5",
    "limit=",
  ])("refuses %s naming the parameter", async (query) => {
    const { key } = await newOrganization();
    const name = query.split("=")[0]!;
    expectValidationFailed(await call("GET", `/v1/events?${query}`, { key }), [`#/query/${name}`]);
  });

  it("created_gte later than created_lt, or equal to it, is an empty range (as for customers)", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await recordEvent(orgId, customer.id, "customer.created", { createdAt: "2026-11-02T00:00:00.000Z" });
    const inverted = await call("GET", "/v1/events?created_gte=2026-11-03T00:00:00Z&created_lt=2026-11-01T00:00:00Z", {
      key,
    });
    expect(inverted.status).toBe(200);
    expect((inverted.body as EventList).data).toEqual([]);
    // Compared as instants, not as text: +02:00 makes this one end before the event.
    const offset = await call<EventList>(
      "GET",
      "/v1/events?created_gte=2026-11-01T00:00:00Z&created_lt=2026-11-02T01:00:00%2B02:00",
      { key },
    );
    expect(offset.status).toBe(200);
    expect(offset.body.data).toEqual([]);
    const around = await call<EventList>(
      "GET",
      "/v1/events?created_gte=2026-11-01T00:00:00Z&created_lt=2026-11-02T03:00:00%2B02:00",
      { key },
    );
    expect(around.body.data).toHaveLength(1);
    const equal = await call<EventList>(
      "GET",
      "/v1/events?created_gte=2026-11-02T00:00:00Z&created_lt=2026-11-02T00:00:00Z",
      { key },
    );
    expect(equal.status).toBe(200);
    expect(equal.body.data).toEqual([]);
  });

  it("a cursor is refused with any other filter, kept with another limit, and refused on another list", async () => {
    const { key, orgId, destination } = await orgWithDelivery();
    const customer = await bareCustomer(orgId);
    for (let index = 0; index < 3; index++) await recordEvent(orgId, customer.id);
    const page = await call<EventList>("GET", "/v1/events?limit=1&type=customer.updated", { key });
    const cursor = page.body.next_cursor!;
    expect(cursor).toBeTruthy();
    for (const filters of [
      "",
      "&type=customer.*",
      `&type=customer.updated&customer_id=${customer.id}`,
      "&type=customer.updated&created_gte=2026-01-01T00:00:00Z",
      "&type=customer.updated&created_lt=2099-01-01T00:00:00Z",
    ]) {
      expectValidationFailed(await call("GET", `/v1/events?cursor=${cursor}${filters}`, { key }), ["#/query/cursor"]);
    }
    const next = await call<EventList>("GET", `/v1/events?limit=5&type=customer.updated&cursor=${cursor}`, { key });
    expect(next.status).toBe(200);
    expect(next.body.data.map((event) => event.id)).not.toContain(page.body.data[0]!.id);
    expect(next.body.data).toHaveLength(3);
    expectValidationFailed(
      await call("GET", `${destinationPath(destination.id)}/deliveries?cursor=${cursor}`, { key }),
      ["#/query/cursor"],
    );
  });

  it("walks every event exactly once across pages, newest first", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    const recorded: string[] = [];
    for (let index = 0; index < 7; index++) recorded.unshift(await recordEvent(orgId, customer.id));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page: Awaited<ReturnType<typeof call<EventList>>> = await call<EventList>(
        "GET",
        `/v1/events?limit=3${query}`,
        { key },
      );
      seen.push(...page.body.data.map((event) => event.id));
      expect(page.body.next_cursor === null).toBe(!page.body.has_more);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(recorded);
  });
});

describe("a destination's deliveries", () => {
  it("shows each delivery's event, status, attempts, last response and next attempt", async () => {
    const { key, destination, row, eventId, orgId, customer } = await orgWithDelivery();
    const path = `${destinationPath(destination.id)}/deliveries`;
    const pending = (await call<EventDeliveryList>("GET", path, { key })).body.data[0]!;
    expect(pending).toMatchObject({
      object: "event_delivery",
      id: row.id,
      destination_id: destination.id,
      event_id: eventId,
      event_type: "customer.updated",
      status: "pending",
      attempts: 0,
      last_response_status: null,
      last_error: null,
    });
    expect(pending.next_attempt_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    mockReceiver((index) => (index === 0 ? 503 : 204));
    await consume([row]);
    const retrying = (await call<EventDeliveryList>("GET", path, { key })).body.data[0]!;
    expect(retrying).toMatchObject({
      status: "pending",
      attempts: 1,
      last_response_status: 503,
      last_error: "http_status",
    });
    expect(Date.parse(retrying.next_attempt_at!)).toBeGreaterThan(Date.now());

    await consume([row], { attempts: 2 });
    const succeeded = (await call<EventDeliveryList>("GET", path, { key })).body.data[0]!;
    expect(succeeded).toMatchObject({
      status: "succeeded",
      attempts: 2,
      last_response_status: 204,
      last_error: null,
      next_attempt_at: null,
    });
    // A second destination's deliveries are its own list.
    const second = await createDestination(key);
    await recordEvent(orgId, customer.id);
    const secondList = await call<EventDeliveryList>("GET", `${destinationPath(second.id)}/deliveries`, { key });
    expect(secondList.body.data).toHaveLength(1);
    expect(secondList.body.data[0]!.destination_id).toBe(second.id);
  });

  it("pages newest first with limit and cursor; a cursor of another destination is refused", async () => {
    const { key, orgId, destination, customer, row } = await orgWithDelivery();
    const other = await createDestination(key, { event_types: ["address.*"] });
    for (let index = 0; index < 4; index++) await recordEvent(orgId, customer.id);
    const path = `${destinationPath(destination.id)}/deliveries`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page: Awaited<ReturnType<typeof call<EventDeliveryList>>> = await call<EventDeliveryList>(
        "GET",
        `${path}?limit=2${query}`,
        { key },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((item) => item.id));
      cursor = page.body.next_cursor;
      if (pages++ === 0) {
        expectValidationFailed(await call("GET", `${destinationPath(other.id)}/deliveries?cursor=${cursor}`, { key }), [
          "#/query/cursor",
        ]);
      }
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen.at(-1)).toBe(row.id);
    for (const query of ["limit=0", "limit=101", "status=failed"]) {
      const name = query.split("=")[0]!;
      expectValidationFailed(await call("GET", `${path}?${query}`, { key }), [`#/query/${name}`]);
    }
  });

  it("is 404 once the destination is deleted, and for a malformed id a 400 naming the path", async () => {
    const { key, destination } = await orgWithDelivery();
    await call("DELETE", destinationPath(destination.id), { key });
    expectProblem(await call("GET", `${destinationPath(destination.id)}/deliveries`, { key }), 404, "not_found");
    expectProblem(await call("GET", `${destinationPath("ed_nope")}/deliveries`, { key }), 400, "validation_failed");
  });
});
