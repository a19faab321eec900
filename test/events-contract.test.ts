import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  DESTINATIONS,
  deliveriesOf,
  destinationPath,
  orgWithDelivery,
  RECEIVER_URL,
  withQueue,
} from "./events-helpers";
import { call, type EventList, expectProblem, expectValidationFailed, newOrganization } from "./helpers";
import type { OpenApiDocument } from "./openapi-conformance";
import type {
  DeletedEventDestination,
  EventDestination,
  EventDestinationList,
  EventDestinationWithSecret,
  ReplayResult,
} from "./response-types";

/**
 * Spec section 10 (events, event destinations) read as a client would, with the section-1
 * conventions as they apply to these routes: each rule that the other events tests do not
 * already prove, black-box through the Worker. Destinations: events-contract.destinations;
 * lists, replay and deliveries: events-contract.lists.
 */

describe("section 1 conventions on the events routes", () => {
  it("unknown body fields are a 400 naming them, on every route that reads a body", async () => {
    const { key, destination } = await orgWithDelivery();
    const id = destination.id;
    const cases: [string, string, Record<string, unknown>, string[]][] = [
      ["POST", DESTINATIONS, { url: RECEIVER_URL, secret: "whsec_x", enabled: true }, ["/secret", "/enabled"]],
      ["PATCH", destinationPath(id), { status: "enabled", disabled_reason: null }, ["/disabled_reason"]],
      ["POST", `${destinationPath(id)}/replay`, { since: "2026-11-01T00:00:00Z", until: "x" }, ["/until"]],
      // A webhook endpoint's rotate_secret takes a `secret`; this one must not drop it silently.
      [
        "POST",
        `${destinationPath(id)}/rotate_secret`,
        { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
        ["/secret"],
      ],
    ];
    for (const [method, path, body, pointers] of cases) {
      expectValidationFailed(await call(method, path, { key, body }), pointers);
    }
    const unchanged = await call<EventDestination>("GET", destinationPath(id), { key });
    expect(unchanged.body.secret.slice(-4)).toBe(destination.secret!.slice(-4));
    expect(unchanged.body.previous_secret_expires_at).toBeNull();
  });

  it("unknown query parameters are a 400 naming them, on every events route", async () => {
    const { key, destination, eventId } = await orgWithDelivery();
    const id = destination.id;
    const cases: [string, string, unknown?][] = [
      ["GET", "/v1/events?colour=red"],
      ["GET", `/v1/events/${eventId}?colour=red`],
      ["GET", `${DESTINATIONS}?colour=red`],
      ["GET", `${destinationPath(id)}?colour=red`],
      ["GET", `${destinationPath(id)}/deliveries?colour=red`],
      ["POST", `${DESTINATIONS}?colour=red`, { url: RECEIVER_URL }],
      ["PATCH", `${destinationPath(id)}?colour=red`, { description: "x" }],
      ["POST", `${destinationPath(id)}/rotate_secret?colour=red`],
      ["POST", `${destinationPath(id)}/replay?colour=red`, { since: "2026-11-01T00:00:00Z" }],
      ["DELETE", `${destinationPath(id)}?colour=red`],
    ];
    for (const [method, path, body] of cases) {
      const response = await call(method, path, { key, body });
      expect(response.status, `${method} ${path}`).toBe(400);
      expectValidationFailed(response, ["#/query/colour"]);
    }
    // Nothing of those requests happened.
    const list = await call<EventDestinationList>("GET", DESTINATIONS, { key });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ description: null, previous_secret_expires_at: null });
  });

  it("every response, success or problem, is Cache-Control: no-store", async () => {
    const { key, destination, eventId } = await orgWithDelivery();
    const responses = [
      await call("GET", "/v1/events", { key }),
      await call("GET", `/v1/events/${eventId}`, { key }),
      await call("GET", "/v1/events/evt_nothing", { key }),
      await call("GET", DESTINATIONS, { key }),
      await call("GET", destinationPath(destination.id), { key }),
      await call("GET", `${destinationPath(destination.id)}/deliveries`, { key }),
      await call("POST", DESTINATIONS, { key, body: { url: "ftp://x" } }),
      await call("POST", `${destinationPath(destination.id)}/rotate_secret`, { key }),
      await call("PUT", destinationPath(destination.id), { key, body: {} }),
    ];
    for (const response of responses) expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("405 method_not_allowed with Allow on every events path", async () => {
    const { key, destination, eventId } = await orgWithDelivery();
    const id = destination.id;
    const cases: [string, string, string][] = [
      ["DELETE", "/v1/events", "GET, HEAD"],
      ["POST", `/v1/events/${eventId}`, "GET, HEAD"],
      ["PUT", DESTINATIONS, "GET, HEAD, POST"],
      ["PUT", destinationPath(id), "DELETE, GET, HEAD, PATCH"],
      ["GET", `${destinationPath(id)}/rotate_secret`, "POST"],
      ["GET", `${destinationPath(id)}/replay`, "POST"],
      ["POST", `${destinationPath(id)}/deliveries`, "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await call(method, path, { key });
      expectProblem(response, 405, "method_not_allowed");
      const allowed = (response.headers.get("Allow") ?? "").split(/,\s*/).sort().join(", ");
      expect(allowed, `${method} ${path}`).toBe(allow);
    }
  });

  it("another organization's ids are 404 not_found problems, never 403, and change nothing", async () => {
    const mine = await orgWithDelivery();
    const other = await newOrganization("Other");
    const base = destinationPath(mine.destination.id);
    const responses = [
      await call("GET", `/v1/events/${mine.eventId}`, { key: other.key }),
      await call("GET", base, { key: other.key }),
      await call("PATCH", base, { key: other.key, body: { status: "disabled" } }),
      await call("POST", `${base}/rotate_secret`, { key: other.key }),
      await call("GET", `${base}/deliveries`, { key: other.key }),
      await call("POST", `${base}/replay`, { key: other.key, body: { since: "2026-11-01T00:00:00Z" } }),
      await call("DELETE", base, { key: other.key }),
    ];
    for (const response of responses) expectProblem(response, 404, "not_found");
    const list = await call<EventList>("GET", `/v1/events?customer_id=${mine.customer.id}`, { key: other.key });
    expect(list.body.data).toEqual([]);
    const still = await call<EventDestination>("GET", base, { key: mine.key });
    expect(still.body).toMatchObject({ status: "enabled", previous_secret_expires_at: null });
    expect(await deliveriesOf(mine.eventId)).toHaveLength(1);
  });

  it("a body that is not JSON is 415 / 400 invalid_json, before anything is written", async () => {
    const { key } = await newOrganization();
    const form = await call("POST", DESTINATIONS, {
      key,
      rawBody: `url=${RECEIVER_URL}`,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expectProblem(form, 415, "unsupported_media_type");
    const broken = await call("POST", DESTINATIONS, {
      key,
      rawBody: '{"url":',
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(broken, 400, "invalid_json");
    expect((await call<EventDestinationList>("GET", DESTINATIONS, { key })).body.data).toEqual([]);
  });
});

describe("Idempotency-Key on the events routes", () => {
  it("create: a retry with the key replays the 201 (secret null: shown once) and creates nothing more", async () => {
    const { key } = await newOrganization();
    const request = { key, body: { url: RECEIVER_URL }, headers: { "Idempotency-Key": "create-1" } };
    const first = await call<EventDestinationWithSecret>("POST", DESTINATIONS, request);
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^whsec_/);
    const again = await call<EventDestinationWithSecret>("POST", DESTINATIONS, request);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual({ ...first.body, secret: null });
    expect((await call<EventDestinationList>("GET", DESTINATIONS, { key })).body.data).toHaveLength(1);

    const reused = await call("POST", DESTINATIONS, { ...request, body: { url: "https://example.com/other" } });
    expectProblem(reused, 422, "idempotency_key_reused");
  });

  it("rotate_secret: a retry replays the rotation instead of rotating again", async () => {
    const { key, destination } = await orgWithDelivery();
    const request = { key, headers: { "Idempotency-Key": "rotate-1" } };
    const path = `${destinationPath(destination.id)}/rotate_secret`;
    const first = await call<EventDestinationWithSecret>("POST", path, request);
    expect(first.status).toBe(200);
    const again = await call<EventDestinationWithSecret>("POST", path, request);
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.secret).toBeNull();
    const stored = await env.DB.prepare("SELECT secret, previous_secret FROM event_destinations WHERE id = ?1")
      .bind(destination.id)
      .first();
    expect(stored).toEqual({ secret: first.body.secret, previous_secret: destination.secret });
  });

  it("PATCH, DELETE and replay: a retry replays the first answer", async () => {
    const { key, destination } = await orgWithDelivery();
    const path = destinationPath(destination.id);
    const patch = { key, body: { description: "v1" }, headers: { "Idempotency-Key": "patch-1" } };
    const patched = await call<EventDestination>("PATCH", path, patch);
    await call("PATCH", path, { key, body: { description: "v2" } });
    const patchedAgain = await call<EventDestination>("PATCH", path, patch);
    expect(patchedAgain.headers.get("Idempotent-Replayed")).toBe("true");
    expect(patchedAgain.body).toEqual(patched.body);
    expect((await call<EventDestination>("GET", path, { key })).body.description).toBe("v2");

    const { env: queueEnv, sent } = withQueue();
    const replay = {
      key,
      body: { since: new Date(Date.now() - 3600_000).toISOString() },
      headers: { "Idempotency-Key": "replay-1" },
      env: queueEnv,
    };
    const replayed = await call<ReplayResult>("POST", `${path}/replay`, replay);
    expect(replayed.status).toBe(202);
    expect(replayed.body.deliveries_created).toBe(1);
    const replayedAgain = await call<ReplayResult>("POST", `${path}/replay`, replay);
    expect(replayedAgain.status).toBe(202);
    expect(replayedAgain.headers.get("Idempotent-Replayed")).toBe("true");
    expect(sent).toHaveLength(1);

    const remove = { key, headers: { "Idempotency-Key": "delete-1" } };
    const deleted = await call<DeletedEventDestination>("DELETE", path, remove);
    const deletedAgain = await call<DeletedEventDestination>("DELETE", path, remove);
    expect(deletedAgain.status).toBe(200);
    expect(deletedAgain.body).toEqual(deleted.body);
    expect(deletedAgain.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("a malformed key is 400 idempotency_key_invalid and writes nothing", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", DESTINATIONS, {
      key,
      body: { url: RECEIVER_URL },
      headers: { "Idempotency-Key": "é" },
    });
    expectProblem(response, 400, "idempotency_key_invalid");
    expect((await call<EventDestinationList>("GET", DESTINATIONS, { key })).body.data).toEqual([]);
  });
});

describe("events: ids and the served OpenAPI document", () => {
  it("an unknown, malformed or too long event id is a problem, never a 500", async () => {
    const { key } = await newOrganization();
    expectProblem(await call("GET", "/v1/events/evt_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", { key }), 404, "not_found");
    expectProblem(await call("GET", `/v1/events/evt_${"A".repeat(80)}`, { key }), 400, "validation_failed");
  });

  it("declares every status each events route answers with", async () => {
    const document = (await call<OpenApiDocument>("GET", "/v1/openapi.json")).body;
    const statuses = (path: string, method: string) =>
      Object.keys(document.paths?.[path]?.[method]?.responses ?? {}).sort();
    const expected: [string, string, string[]][] = [
      ["/v1/events", "get", ["200", "400", "401", "429", "500", "503"]],
      ["/v1/events/{id}", "get", ["200", "400", "401", "404", "429", "500", "503"]],
      ["/v1/event_destinations", "get", ["200", "400", "401", "429", "500", "503"]],
      ["/v1/event_destinations", "post", ["201", "400", "401", "409", "413", "415", "422", "429", "500", "503"]],
      ["/v1/event_destinations/{id}", "get", ["200", "400", "401", "404", "429", "500", "503"]],
      [
        "/v1/event_destinations/{id}",
        "patch",
        ["200", "400", "401", "404", "409", "413", "415", "422", "429", "500", "503"],
      ],
      [
        "/v1/event_destinations/{id}",
        "delete",
        ["200", "400", "401", "404", "409", "413", "415", "422", "429", "500", "503"],
      ],
      [
        "/v1/event_destinations/{id}/rotate_secret",
        "post",
        ["200", "400", "401", "404", "409", "413", "415", "422", "429", "500", "503"],
      ],
      ["/v1/event_destinations/{id}/deliveries", "get", ["200", "400", "401", "404", "429", "500", "503"]],
      [
        "/v1/event_destinations/{id}/replay",
        "post",
        ["202", "400", "401", "404", "409", "413", "415", "422", "429", "500", "503"],
      ],
    ];
    for (const [path, method, want] of expected) expect(statuses(path, method), `${method} ${path}`).toEqual(want);
    const createdSecret = document.components?.schemas?.EventDestinationWithSecret as {
      properties: { secret: { type: unknown } };
    };
    expect(createdSecret.properties.secret.type).toEqual(["string", "null"]);
  });
});
