import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import {
  bareCustomer,
  capturingQueue,
  consume,
  createDestination,
  deliveriesOf,
  mockReceiver,
  RECEIVER_URL,
  recordEvent,
} from "./events-helpers";
import {
  call,
  type EventDeliveryList,
  type EventList,
  expectProblem,
  expectValidationFailed,
  newOrganization,
} from "./helpers";
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
 * already prove, black-box through the Worker.
 */

const DESTINATIONS = "/v1/event_destinations";
const destinationPath = (id: string) => `${DESTINATIONS}/${id}`;
const withQueue = () => {
  const captured = capturingQueue();
  return { ...captured, env: { ...env, EVENT_DELIVERIES: captured.queue } };
};

/** An organization with one destination and one customer.updated event delivered to it (pending). */
async function orgWithDelivery() {
  const org = await newOrganization();
  const destination = await createDestination(org.key);
  const customer = await bareCustomer(org.orgId);
  const eventId = await recordEvent(org.orgId, customer.id);
  const [row] = await deliveriesOf(eventId);
  if (!row) throw new Error("no delivery");
  return { ...org, destination, customer, eventId, row };
}

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

describe("event_types", () => {
  it.each([
    [[], "/event_types"],
    [["customer.deleted"], "/event_types/0"],
    [["customer.updated", "Customer.*"], "/event_types/1"],
    [["customer."], "/event_types/0"],
    [["customer.**"], "/event_types/0"],
    [["customer.*.x"], "/event_types/0"],
    [[".*"], "/event_types/0"],
    [["**"], "/event_types/0"],
    [[" customer.created"], "/event_types/0"],
    [[""], "/event_types/0"],
    [[7], "/event_types/0"],
    [null, "/event_types"],
    ["*", "/event_types"],
    [Array.from({ length: 33 }, () => "*"), "/event_types"],
  ])("refuses event_types %j at %s, on create and on PATCH", async (eventTypes, pointer) => {
    const { key } = await newOrganization();
    const created = await call("POST", DESTINATIONS, { key, body: { url: RECEIVER_URL, event_types: eventTypes } });
    expectValidationFailed(created, [pointer]);
    const destination = await createDestination(key, { event_types: ["address.*"] });
    const patched = await call("PATCH", destinationPath(destination.id), { key, body: { event_types: eventTypes } });
    expectValidationFailed(patched, [pointer]);
    const after = await call<EventDestination>("GET", destinationPath(destination.id), { key });
    expect(after.body.event_types).toEqual(["address.*"]);
  });

  it("keeps the first of duplicates, in order, on create and on PATCH; 32 selectors are accepted", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key, {
      event_types: ["subscription.canceled", "*", "subscription.canceled", "*"],
    });
    expect(destination.event_types).toEqual(["subscription.canceled", "*"]);
    const patched = await call<EventDestination>("PATCH", destinationPath(destination.id), {
      key,
      body: { event_types: Array.from({ length: 32 }, (_, index) => (index % 2 ? "address.*" : "customer.created")) },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.event_types).toEqual(["customer.created", "address.*"]);
  });

  it("a PATCH of event_types changes which later events get deliveries", async () => {
    const { key, orgId } = await newOrganization();
    const destination = await createDestination(key, { event_types: ["address.*"] });
    const customer = await bareCustomer(orgId);
    expect(await deliveriesOf(await recordEvent(orgId, customer.id, "customer.updated"))).toEqual([]);
    await call("PATCH", destinationPath(destination.id), { key, body: { event_types: ["customer.updated"] } });
    expect(await deliveriesOf(await recordEvent(orgId, customer.id, "customer.updated"))).toHaveLength(1);
    expect(await deliveriesOf(await recordEvent(orgId, customer.id, "address.created"))).toEqual([]);
  });
});

describe("listing destinations", () => {
  it("lists newest first, also when several are created within one millisecond", async () => {
    const { key } = await newOrganization();
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2026-11-27T10:00:00.000Z") });
    const created: string[] = [];
    try {
      for (let index = 0; index < 6; index++) created.push((await createDestination(key)).id);
    } finally {
      vi.useRealTimers();
    }
    const list = await call<EventDestinationList>("GET", DESTINATIONS, { key });
    expect(list.body.data.map((destination) => destination.created_at)).toEqual(
      Array(6).fill("2026-11-27T10:00:00.000Z"),
    );
    expect(list.body.data.map((destination) => destination.id)).toEqual(created.reverse());
  });
});

describe("the 16-destination limit", () => {
  it("40 concurrent creates next to 10 existing ones: never 17; a delete frees one place", async () => {
    const { key } = await newOrganization();
    for (let index = 0; index < 10; index++) await createDestination(key);
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => call("POST", DESTINATIONS, { key, body: { url: RECEIVER_URL } })),
    );
    expect(responses.filter((response) => response.status === 201)).toHaveLength(6);
    for (const refused of responses.filter((response) => response.status !== 201)) {
      expectProblem(refused, 409, "destination_limit_reached");
    }
    const list = await call<EventDestinationList>("GET", DESTINATIONS, { key });
    expect(list.body.data).toHaveLength(16);
    expectProblem(
      await call("POST", DESTINATIONS, { key, body: { url: RECEIVER_URL } }),
      409,
      "destination_limit_reached",
    );
    await call("DELETE", destinationPath(list.body.data[3]!.id), { key });
    expect((await call("POST", DESTINATIONS, { key, body: { url: RECEIVER_URL } })).status).toBe(201);
    expect((await call<EventDestinationList>("GET", DESTINATIONS, { key })).body.data).toHaveLength(16);
  });
});

describe("destination URLs", () => {
  const production = { ...env, ALLOW_HTTP_DESTINATIONS: "false" };
  const maxLength = `https://example.com/${"a".repeat(2048 - "https://example.com/".length)}`;

  it.each([
    "https://example.com/hooks?source=roster#top",
    "HTTPS://EXAMPLE.COM/hooks",
    "https://[2001:db8::1]:8443/hooks",
    "https://xn--exmple-cua.com/hooks",
    maxLength,
  ])("accepts %s everywhere", async (url) => {
    const { key } = await newOrganization();
    const response = await call<EventDestinationWithSecret>("POST", DESTINATIONS, {
      key,
      body: { url },
      env: production,
    });
    expect(response.status, response.text).toBe(201);
    expect(response.body.url).toBe(url);
  });

  it.each([
    "http://127.0.0.1/x",
    "http://127.0.0.1:65535/x",
    "http://localhost:8787/x",
    "http://LOCALHOST/x",
    "http://[::1]/x",
    "http://[::1]:3000/x",
    "HTTP://127.0.0.1:9999/x",
  ])("accepts loopback %s only where ALLOW_HTTP_DESTINATIONS is true", async (url) => {
    const { key } = await newOrganization();
    const created = await call<EventDestination>("POST", DESTINATIONS, { key, body: { url } });
    expect(created.status).toBe(201);
    expectValidationFailed(await call("POST", DESTINATIONS, { key, body: { url }, env: production }), ["/url"]);
    const path = destinationPath(created.body.id);
    expectValidationFailed(await call("PATCH", path, { key, body: { url }, env: production }), ["/url"]);
  });

  it.each([
    `${maxLength}a`,
    "http://127.0.0.2/x",
    "http://[::2]/x",
    "http://[::ffff:7f00:1]/x",
    "http://0.0.0.0/x",
    "http://localhost.example.com/x",
    "http://example.com:80/x",
    "https://:secret@example.com/x",
    "https://user:@example.com/x",
    "https://exa mple.com/x",
    " https://example.com/x",
    "https://example.com/x ",
    "https://example.com/a\tb",
    "https://example.com/a\nb",
    "https://",
    "//example.com/x",
    "example.com/x",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "wss://example.com/x",
    "",
  ])("refuses %j, naming /url, on create and PATCH", async (url) => {
    const { key } = await newOrganization();
    expectValidationFailed(await call("POST", DESTINATIONS, { key, body: { url } }), ["/url"]);
    const destination = await createDestination(key);
    expectValidationFailed(await call("PATCH", destinationPath(destination.id), { key, body: { url } }), ["/url"]);
    expect((await call<EventDestination>("GET", destinationPath(destination.id), { key })).body.url).toBe(RECEIVER_URL);
  });

  it("null or a missing url is refused", async () => {
    const { key } = await newOrganization();
    expectValidationFailed(await call("POST", DESTINATIONS, { key, body: {} }), ["/url"]);
    expectValidationFailed(await call("POST", DESTINATIONS, { key, body: { url: null } }), ["/url"]);
    const destination = await createDestination(key);
    expectValidationFailed(await call("PATCH", destinationPath(destination.id), { key, body: { url: null } }), [
      "/url",
    ]);
  });
});

describe("PATCH of each field", () => {
  it("changes only the fields sent, moves updated_at, never created_at or the secret", async () => {
    const { key } = await newOrganization();
    const created = await createDestination(key, { description: "CRM", event_types: ["customer.*"] });
    const path = destinationPath(created.id);
    const steps: [Record<string, unknown>, Partial<EventDestination>][] = [
      [{ url: "https://example.com/a" }, { url: "https://example.com/a" }],
      [{ event_types: ["address.created"] }, { event_types: ["address.created"] }],
      [{ description: "Billing" }, { description: "Billing" }],
      [{ description: null }, { description: null }],
      [{}, {}],
    ];
    let before = (await call<EventDestination>("GET", path, { key })).body;
    for (const [body, change] of steps) {
      const response = await call<EventDestination>("PATCH", path, { key, body });
      expect(response.status, JSON.stringify(body)).toBe(200);
      const { updated_at: _after, ...rest } = response.body;
      const { updated_at: _before, ...restBefore } = before;
      expect(rest).toEqual({ ...restBefore, ...change });
      expect(response.body.updated_at >= before.updated_at).toBe(true);
      expect(response.body.created_at).toBe(created.created_at);
      before = response.body;
    }
  });

  it("refuses status values other than enabled and disabled, and empty or control-character descriptions", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    for (const body of [
      { status: "paused" },
      { status: null },
      { status: "ENABLED" },
      { description: "" },
      { description: "a\u0000b" },
      { description: "x".repeat(256) },
    ]) {
      const response = await call("PATCH", destinationPath(destination.id), { key, body });
      expectValidationFailed(response, [`/${Object.keys(body)[0]}`]);
    }
  });

  it("disabled → manual; enabled clears disabled_reason, also endpoint_gone; disabling a gone one keeps endpoint_gone", async () => {
    const { key, destination, row } = await orgWithDelivery();
    const path = destinationPath(destination.id);
    mockReceiver(() => 410);
    await consume([row]);
    const gone = await call<EventDestination>("GET", path, { key });
    expect(gone.body).toMatchObject({ status: "disabled", disabled_reason: "endpoint_gone" });

    const stillGone = await call<EventDestination>("PATCH", path, { key, body: { status: "disabled" } });
    expect(stillGone.body).toMatchObject({ status: "disabled", disabled_reason: "endpoint_gone" });
    const enabled = await call<EventDestination>("PATCH", path, { key, body: { status: "enabled" } });
    expect(enabled.body).toMatchObject({ status: "enabled", disabled_reason: null });
    const enabledAgain = await call<EventDestination>("PATCH", path, { key, body: { status: "enabled" } });
    expect(enabledAgain.body).toMatchObject({ status: "enabled", disabled_reason: null });
    const manual = await call<EventDestination>("PATCH", path, { key, body: { status: "disabled" } });
    expect(manual.body).toMatchObject({ status: "disabled", disabled_reason: "manual" });
  });

  it("a disabled destination gets no new deliveries; enabled again, it gets the next events", async () => {
    const { key, orgId, destination, customer } = await orgWithDelivery();
    const path = destinationPath(destination.id);
    await call("PATCH", path, { key, body: { status: "disabled" } });
    expect(await deliveriesOf(await recordEvent(orgId, customer.id))).toEqual([]);
    await call("PATCH", path, { key, body: { status: "enabled" } });
    expect(await deliveriesOf(await recordEvent(orgId, customer.id))).toHaveLength(1);
  });
});

describe("rotate_secret and signatures", () => {
  it("after a rotation both secrets verify; after a second one the first no longer does; once expired, one signature", async () => {
    const { key, destination, row, orgId, customer } = await orgWithDelivery();
    const rotate = async () =>
      (await call<EventDestinationWithSecret>("POST", `${destinationPath(destination.id)}/rotate_secret`, { key }))
        .body;
    const first = await rotate();
    const second = await rotate();
    const { received } = mockReceiver(() => 204);
    await consume([row]);
    const headers = Object.fromEntries(received[0]!.headers);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(second.secret!).verify(received[0]!.body, headers)).not.toThrow();
    expect(() => new Webhook(first.secret!).verify(received[0]!.body, headers)).not.toThrow();
    expect(() => new Webhook(destination.secret!).verify(received[0]!.body, headers)).toThrow();

    await env.DB.prepare("UPDATE event_destinations SET previous_secret_expires_at = ?2 WHERE id = ?1")
      .bind(destination.id, new Date(Date.now() - 1000).toISOString())
      .run();
    const [next] = await deliveriesOf(await recordEvent(orgId, customer.id));
    await consume([next!]);
    const later = Object.fromEntries(received[1]!.headers);
    expect(later["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(second.secret!).verify(received[1]!.body, later)).not.toThrow();
  });
});

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

  it("refuses a missing since and a since in the future", async () => {
    const { key, destination } = await orgWithDelivery();
    const path = `${destinationPath(destination.id)}/replay`;
    expectValidationFailed(await call("POST", path, { key, body: {} }), ["/since"]);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expectValidationFailed(await call("POST", path, { key, body: { since: future } }), ["/since"]);
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

  it("refuses created_gte later than created_lt; an equal pair is an empty range", async () => {
    const { key, orgId } = await newOrganization();
    const customer = await bareCustomer(orgId);
    await recordEvent(orgId, customer.id, "customer.created", { createdAt: "2026-11-02T00:00:00.000Z" });
    const inverted = await call("GET", "/v1/events?created_gte=2026-11-03T00:00:00Z&created_lt=2026-11-01T00:00:00Z", {
      key,
    });
    expectValidationFailed(inverted, ["#/query/created_lt"]);
    // Compared as instants, not as text: +02:00 makes this one earlier than created_gte.
    const offset = await call(
      "GET",
      "/v1/events?created_gte=2026-11-02T00:00:00Z&created_lt=2026-11-02T01:00:00%2B02:00",
      { key },
    );
    expectValidationFailed(offset, ["#/query/created_lt"]);
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
      ["/v1/event_destinations/{id}", "delete", ["200", "400", "401", "404", "409", "422", "429", "500", "503"]],
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
