import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bareCustomer, recordEvent } from "./events-helpers";
import { call, type Event, type EventList, newOrganization, type Problem } from "./helpers";

async function seed() {
  const org = await newOrganization();
  const first = await bareCustomer(org.orgId);
  const second = await bareCustomer(org.orgId);
  const ids = {
    firstCreated: await recordEvent(org.orgId, first.id, "customer.created", { createdAt: "2026-11-01T00:00:00.000Z" }),
    secondCreated: await recordEvent(org.orgId, second.id, "customer.created", {
      createdAt: "2026-11-02T00:00:00.000Z",
    }),
    firstUpdated: await recordEvent(org.orgId, first.id, "customer.updated", {
      createdAt: "2026-11-03T00:00:00.000Z",
      previousAttributes: { language: null },
    }),
    firstAddress: await recordEvent(org.orgId, first.id, "address.created", { createdAt: "2026-11-04T00:00:00.000Z" }),
  };
  return { ...org, first, second, ids };
}

const idsOf = (body: { data: { id: string }[] }) => body.data.map((event) => event.id);

describe("GET /v1/events", () => {
  it("lists the organization's events newest first, as event objects", async () => {
    const { key, ids, first } = await seed();
    const response = await call<EventList>("GET", "/v1/events", { key });
    expect(response.status).toBe(200);
    expect(idsOf(response.body)).toEqual([ids.firstAddress, ids.firstUpdated, ids.secondCreated, ids.firstCreated]);
    expect(response.body.has_more).toBe(false);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.data[1]).toEqual({
      object: "event",
      id: ids.firstUpdated,
      type: "customer.updated",
      created_at: "2026-11-03T00:00:00.000Z",
      customer_id: first.id,
      sequence: 2,
      data: { object: { object: "customer", id: first.id }, previous_attributes: { language: null } },
      request_id: "req_test",
    });
  });

  it("filters by exact type, by prefix, by customer and by created range", async () => {
    const { key, ids, first } = await seed();
    const list = async (query: string) => idsOf((await call<EventList>("GET", `/v1/events?${query}`, { key })).body);
    expect(await list("type=customer.created")).toEqual([ids.secondCreated, ids.firstCreated]);
    expect(await list("type=customer.*")).toEqual([ids.firstUpdated, ids.secondCreated, ids.firstCreated]);
    expect(await list("type=address.*")).toEqual([ids.firstAddress]);
    expect(await list(`customer_id=${first.id}`)).toEqual([ids.firstAddress, ids.firstUpdated, ids.firstCreated]);
    expect(await list("created_gte=2026-11-02T00:00:00.000Z&created_lt=2026-11-04T00:00:00Z")).toEqual([
      ids.firstUpdated,
      ids.secondCreated,
    ]);
  });

  it("refuses unknown types and prefixes, and unknown query fields", async () => {
    const { key } = await newOrganization();
    for (const query of ["type=customer.deleted", "type=invoice.*", "type=*", "colour=red", "limit=0"]) {
      const response = await call<Problem>("GET", `/v1/events?${query}`, { key });
      expect(response.status, query).toBe(400);
      expect(response.body.code).toBe("validation_failed");
    }
  });

  it("pages with a cursor that is valid only with its filters", async () => {
    const { key, ids } = await seed();
    const page1 = await call<EventList>("GET", "/v1/events?limit=3&type=customer.*", { key });
    expect(idsOf(page1.body)).toEqual([ids.firstUpdated, ids.secondCreated, ids.firstCreated].slice(0, 3));
    const twoPerPage = await call<EventList>("GET", "/v1/events?limit=2", { key });
    expect(twoPerPage.body.has_more).toBe(true);
    const cursor = twoPerPage.body.next_cursor;
    const page2 = await call<EventList>("GET", `/v1/events?limit=2&cursor=${cursor}`, { key });
    expect(idsOf(page2.body)).toEqual([ids.secondCreated, ids.firstCreated]);
    expect(page2.body.has_more).toBe(false);

    const otherFilters = await call<Problem>("GET", `/v1/events?limit=2&type=customer.*&cursor=${cursor}`, { key });
    expect(otherFilters.status).toBe(400);
    expect(otherFilters.body.errors?.[0]?.pointer).toBe("#/query/cursor");
    const garbage = await call("GET", "/v1/events?cursor=not-a-cursor", { key });
    expect(garbage.status).toBe(400);
  });
});

describe("GET /v1/events/{id}", () => {
  it("returns the event", async () => {
    const { key, ids } = await seed();
    const response = await call<Event>("GET", `/v1/events/${ids.firstAddress}`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      object: "event",
      id: ids.firstAddress,
      type: "address.created",
      sequence: 3,
    });
  });

  it("is 404 for an unknown id and for another organization's event", async () => {
    const { ids } = await seed();
    const other = await newOrganization("Other");
    for (const id of ["evt_unknown", ids.firstCreated]) {
      const response = await call<Problem>("GET", `/v1/events/${id}`, { key: other.key });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe("not_found");
    }
    const list = await call<EventList>("GET", "/v1/events", { key: other.key });
    expect(list.body.data).toEqual([]);
  });

  it("requires an API key", async () => {
    const response = await call("GET", "/v1/events");
    expect(response.status).toBe(401);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM events").first("n")).toBe(0);
  });
});
