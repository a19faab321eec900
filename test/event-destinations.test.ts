import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  bareCustomer,
  capturingQueue,
  createDestination,
  deliveriesOf,
  RECEIVER_URL,
  recordEvent,
} from "./events-helpers";
import { call, createCustomer, type EventDeliveryList, newOrganization, type Problem } from "./helpers";
import type {
  DeletedEventDestination,
  EventDestination,
  EventDestinationList,
  EventDestinationWithSecret,
  ReplayResult,
} from "./response-types";

const MASKED = /^whsec_…[A-Za-z0-9+/=]{4}$/;

describe("event destinations: create", () => {
  it("creates a destination with every type by default and shows its secret once", async () => {
    const { key } = await newOrganization();
    const response = await call<EventDestinationWithSecret>("POST", "/v1/event_destinations", {
      key,
      body: { url: "https://example.com/hooks", description: "CRM" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      object: "event_destination",
      url: "https://example.com/hooks",
      event_types: ["*"],
      description: "CRM",
      status: "enabled",
      disabled_reason: null,
      previous_secret_expires_at: null,
    });
    expect(response.body.id).toMatch(/^ed_[0-9A-Z]{26}$/);
    expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);

    const got = await call<EventDestination>("GET", `/v1/event_destinations/${response.body.id}`, { key });
    expect(got.body.secret).toMatch(MASKED);
    expect(got.body.secret.slice(-4)).toBe(response.body.secret?.slice(-4));
    const listed = await call<EventDestinationList>("GET", "/v1/event_destinations", { key });
    expect(listed.body.data.map((item) => item.secret)).toEqual([got.body.secret]);
    expect(listed.text).not.toContain(response.body.secret);
  });

  it("accepts exact types, prefixes and *, and refuses anything else", async () => {
    const { key } = await newOrganization();
    const ok = await createDestination(key, { event_types: ["customer.updated", "address.*", "customer.updated"] });
    expect(ok.event_types).toEqual(["customer.updated", "address.*"]);
    for (const event_types of [[], ["customer.deleted"], ["invoice.*"], ["customer"], "customer.*"]) {
      const response = await call<Problem>("POST", "/v1/event_destinations", {
        key,
        body: { url: RECEIVER_URL, event_types },
      });
      expect(response.status, JSON.stringify(event_types)).toBe(400);
      expect(response.body.errors?.[0]?.pointer).toMatch(/^\/event_types/);
    }
  });

  it("enforces the URL rules", async () => {
    const { key } = await newOrganization();
    const refused = [
      "ftp://example.com/x",
      "not a url",
      "https://user:pass@example.com/x",
      "https://user@example.com/x",
      `https://example.com/${"a".repeat(2030)}`,
      "http://example.com/x",
      "http://10.0.0.1/x",
    ];
    for (const url of refused) {
      const response = await call<Problem>("POST", "/v1/event_destinations", { key, body: { url } });
      expect(response.status, url).toBe(400);
      expect(response.body.errors?.[0]?.pointer).toBe("/url");
    }
    for (const url of ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:3000/x"]) {
      expect((await call("POST", "/v1/event_destinations", { key, body: { url } })).status, url).toBe(201);
    }
  });

  it("refuses loopback http where ALLOW_HTTP_DESTINATIONS is not true (production)", async () => {
    const { key } = await newOrganization();
    const production = { ...env, ALLOW_HTTP_DESTINATIONS: "false" };
    const response = await call<Problem>("POST", "/v1/event_destinations", {
      key,
      body: { url: RECEIVER_URL },
      env: production,
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: "/url", detail: "must be an https:// URL" }]);
    const https = await call("POST", "/v1/event_destinations", {
      key,
      body: { url: "https://example.com/x" },
      env: production,
    });
    expect(https.status).toBe(201);
  });

  it("allows 16 per organization, even for concurrent creates, then 409 destination_limit_reached", async () => {
    const { key } = await newOrganization();
    const other = await newOrganization("Other");
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call<Problem>("POST", "/v1/event_destinations", { key, body: { url: RECEIVER_URL } }),
      ),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(16);
    const refused = responses.filter((response) => response.status === 409);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.body.code).toBe("destination_limit_reached");
    expect((await call<EventDestinationList>("GET", "/v1/event_destinations", { key })).body.data).toHaveLength(16);
    expect((await call("POST", "/v1/event_destinations", { key: other.key, body: { url: RECEIVER_URL } })).status).toBe(
      201,
    );
  });
});

describe("event destinations: update, rotate, delete", () => {
  it("PATCH changes url, types, description and status", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    const patched = await call<EventDestination>("PATCH", `/v1/event_destinations/${destination.id}`, {
      key,
      body: { url: "https://example.com/new", event_types: ["subscription.*"], description: "new", status: "disabled" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: "https://example.com/new",
      event_types: ["subscription.*"],
      description: "new",
      status: "disabled",
      disabled_reason: "manual",
    });
    expect(patched.body.secret).toMatch(MASKED);
    const enabled = await call<EventDestination>("PATCH", `/v1/event_destinations/${destination.id}`, {
      key,
      body: { status: "enabled", description: null },
    });
    expect(enabled.body).toMatchObject({ status: "enabled", disabled_reason: null, description: null });
    const bad = await call("PATCH", `/v1/event_destinations/${destination.id}`, {
      key,
      body: { url: "http://example.com/" },
    });
    expect(bad.status).toBe(400);
  });

  it("rotate_secret issues a new secret and keeps the previous one for 24 hours", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    const rotated = await call<EventDestinationWithSecret>(
      "POST",
      `/v1/event_destinations/${destination.id}/rotate_secret`,
      { key },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(rotated.body.secret).not.toBe(destination.secret);
    const expiresIn = Date.parse(rotated.body.previous_secret_expires_at!) - Date.now();
    expect(expiresIn).toBeGreaterThan(23 * 3600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);
    const stored = await env.DB.prepare("SELECT secret, previous_secret FROM event_destinations WHERE id = ?1")
      .bind(destination.id)
      .first();
    expect(stored).toEqual({ secret: rotated.body.secret, previous_secret: destination.secret });
  });

  it("DELETE removes the destination; its deliveries are left to the housekeeping", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    const destination = await createDestination(key);
    const eventId = await recordEvent(orgId, customer.id);
    expect(await deliveriesOf(eventId)).toHaveLength(1);
    const deleted = await call<DeletedEventDestination>("DELETE", `/v1/event_destinations/${destination.id}`, { key });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ object: "event_destination", id: destination.id, deleted: true });
    // Purged later in short batches (test/destination-purge.test.ts), unseen meanwhile.
    expect(await deliveriesOf(eventId)).toHaveLength(1);
    expect((await call("GET", `/v1/event_destinations/${destination.id}/deliveries`, { key })).status).toBe(404);
    expect((await call("GET", `/v1/event_destinations/${destination.id}`, { key })).status).toBe(404);
    expect((await call("DELETE", `/v1/event_destinations/${destination.id}`, { key })).status).toBe(404);
  });

  it("another organization's destination is 404 on every route and gets none of its events", async () => {
    const { key, orgId } = await newOrganization();
    const other = await newOrganization("Other");
    const theirs = await createDestination(other.key);
    const base = `/v1/event_destinations/${theirs.id}`;
    const attempts = [
      call("GET", base, { key }),
      call("PATCH", base, { key, body: { description: "x" } }),
      call("DELETE", base, { key }),
      call("POST", `${base}/rotate_secret`, { key }),
      call("GET", `${base}/deliveries`, { key }),
      call("POST", `${base}/replay`, { key, body: { since: "2026-01-01T00:00:00Z" } }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(404);
    const customer = await createCustomer(key);
    const eventId = await recordEvent(orgId, customer.id);
    expect(await deliveriesOf(eventId)).toEqual([]);
    expect((await call<EventDestination>("GET", base, { key: other.key })).body.description).toBeNull();
  });
});

describe("event destinations: deliveries and replay", () => {
  it("lists a destination's deliveries newest first, cursor-paginated", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await createCustomer(key);
    const destination = await createDestination(key);
    const events = [await recordEvent(orgId, customer.id), await recordEvent(orgId, customer.id)];
    events.push(await recordEvent(orgId, customer.id, "customer.archived"));
    const path = `/v1/event_destinations/${destination.id}/deliveries`;
    const first = await call<EventDeliveryList>("GET", `${path}?limit=2`, { key });
    expect(first.status).toBe(200);
    expect(first.body.data.map((item) => item.event_id)).toEqual([events[2], events[1]]);
    expect(first.body.data[0]).toMatchObject({
      object: "event_delivery",
      destination_id: destination.id,
      event_type: "customer.archived",
      status: "pending",
      attempts: 0,
      last_response_status: null,
      last_error: null,
    });
    const second = await call<EventDeliveryList>("GET", `${path}?limit=2&cursor=${first.body.next_cursor}`, { key });
    expect(second.body.data.map((item) => item.event_id)).toEqual([events[0]]);
    expect(second.body.has_more).toBe(false);
  });

  it("replay queues new deliveries of the kept events since then that the destination selects", async () => {
    const { key, orgId } = await newOrganization();
    // Straight into D1: through the API its create would record a customer.created of today.
    const customer = await bareCustomer(orgId);
    await recordEvent(orgId, customer.id, "customer.created", { createdAt: "2026-11-01T00:00:00.000Z" });
    const updated = await recordEvent(orgId, customer.id, "customer.updated", {
      createdAt: "2026-11-02T00:00:00.000Z",
    });
    await recordEvent(orgId, customer.id, "address.created", { createdAt: "2026-11-03T00:00:00.000Z" });
    const destination = await createDestination(key, { event_types: ["customer.*"] });
    const { queue, sent } = capturingQueue();

    const response = await call<ReplayResult>("POST", `/v1/event_destinations/${destination.id}/replay`, {
      key,
      body: { since: "2026-11-01T12:00:00+00:00" },
      env: { ...env, EVENT_DELIVERIES: queue },
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({
      object: "event_destination_replay",
      destination_id: destination.id,
      since: "2026-11-01T12:00:00.000Z",
      deliveries_created: 1,
      has_more: false,
      next_since: null,
    });
    const [replayed] = await deliveriesOf(updated);
    expect(replayed).toMatchObject({ destination_id: destination.id, status: "pending" });
    expect(sent).toEqual([{ org_id: orgId, delivery_id: replayed!.id }]);
  });

  it("replay to a disabled destination is 409 destination_disabled", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    await call("PATCH", `/v1/event_destinations/${destination.id}`, { key, body: { status: "disabled" } });
    const response = await call<Problem>("POST", `/v1/event_destinations/${destination.id}/replay`, {
      key,
      body: { since: "2026-11-01T00:00:00Z" },
    });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("destination_disabled");
  });
});
