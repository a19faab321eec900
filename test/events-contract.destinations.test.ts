import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import {
  bareCustomer,
  consume,
  createDestination,
  DESTINATIONS,
  deliveriesOf,
  destinationPath,
  mockReceiver,
  orgWithDelivery,
  RECEIVER_URL,
  recordEvent,
} from "./events-helpers";
import { call, expectProblem, expectValidationFailed, newOrganization } from "./helpers";
import type { EventDestination, EventDestinationList, EventDestinationWithSecret } from "./response-types";

/** Spec section 10, event destinations as a client sees them: types, limit, URLs, PATCH, rotation. */

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
    "http://127.0.0.2/x",
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
