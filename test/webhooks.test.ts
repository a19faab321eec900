import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, createCustomer, expectProblem, newOrganization } from "./helpers";
import {
  countRows,
  createEndpoint,
  DAY,
  deliver,
  type Endpoint,
  HOUR,
  isoAgo,
  MINUTE,
  newMessageId,
  provisionEvent,
  signatureHeaders,
} from "./webhooks-helpers";

async function setup(source: "standard" | "clerk" = "standard") {
  const { key } = await newOrganization();
  return { key, endpoint: await createEndpoint(key, source) };
}

const rotate = async (key: string, endpoint: Endpoint) => {
  const response = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { key });
  expect(response.status).toBe(200);
  return response.body.secret as string;
};

const getByAlternativeId = (key: string, alternativeId: string) =>
  call("GET", `/v1/customers/alternative-id/${encodeURIComponent(alternativeId)}`, { key });

const JENNY = { alternative_id: "user_jenny", email: "jenny@example.com", first_name: "Jenny" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("POST /v1/webhooks/{endpoint_id}: signature verification", () => {
  it("a correctly signed customer.provision creates the customer: 200 applied with its id", async () => {
    const { key, endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY, new Date().toISOString()));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "applied", customer_id: expect.stringMatching(/^cus_/) });
    const customer = await getByAlternativeId(key, "user_jenny");
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({ id: response.body.customer_id, email: "jenny@example.com" });
  });

  it("accepts the svix- header names", async () => {
    const { key, endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY), { prefix: "svix-" });
    expect(response.body.status).toBe("applied");
    expect((await getByAlternativeId(key, "user_jenny")).status).toBe(200);
  });

  it("any one of several space-separated signatures may match (other versions and junk are skipped)", async () => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY), {
      signature: (signed) => `v1,${btoa("x".repeat(32))} v2,${signed.slice(3)} v1,not*base64 ${signed}`,
    });
    expect(response.body.status).toBe("applied");
  });

  it("a signature that is right but labelled v2 does not count", async () => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY), { signature: (signed) => `v2,${signed.slice(3)}` });
    expectProblem(response, 401, "webhook_signature_invalid");
  });

  const expectNothingWritten = async () => {
    expect(await countRows("customers")).toBe(0);
    expect(await countRows("webhook_messages")).toBe(0);
  };

  it("401 webhook_signature_invalid for a tampered body, and nothing is written", async () => {
    const { endpoint } = await setup();
    const signed = JSON.stringify(provisionEvent(JENNY));
    const response = await deliver(endpoint, signed, { sentBody: signed.replace("jenny@", "mallory@") });
    expectProblem(response, 401, "webhook_signature_invalid");
    await expectNothingWritten();
  });

  it("401 webhook_signature_invalid for a body that differs by one whitespace byte", async () => {
    const { endpoint } = await setup();
    const signed = JSON.stringify(provisionEvent(JENNY));
    const response = await deliver(endpoint, signed, { sentBody: `${signed} ` });
    expectProblem(response, 401, "webhook_signature_invalid");
    await expectNothingWritten();
  });

  it("401 webhook_signature_invalid for another secret (another endpoint's), and nothing is written", async () => {
    const { key, endpoint } = await setup();
    const other = await createEndpoint(key);
    const response = await deliver(endpoint, provisionEvent(JENNY), { secret: other.secret });
    expectProblem(response, 401, "webhook_signature_invalid");
    await expectNothingWritten();
  });

  it("401 webhook_signature_invalid when the signed id or timestamp is not the one sent", async () => {
    const { endpoint } = await setup();
    const body = JSON.stringify(provisionEvent(JENNY));
    const headers = signatureHeaders(endpoint.secret, body, { id: "msg_signed" });
    const otherId = await call("POST", `/v1/webhooks/${endpoint.id}`, {
      rawBody: body,
      headers: { "Content-Type": "application/json", ...headers, "webhook-id": "msg_other" },
    });
    expectProblem(otherId, 401, "webhook_signature_invalid");
    const otherTimestamp = await call("POST", `/v1/webhooks/${endpoint.id}`, {
      rawBody: body,
      headers: {
        "Content-Type": "application/json",
        ...headers,
        "webhook-timestamp": String(Number(headers["webhook-timestamp"]) - 1),
      },
    });
    expectProblem(otherTimestamp, 401, "webhook_signature_invalid");
    await expectNothingWritten();
  });

  it.each([["id"], ["timestamp"], ["signature"]])(
    "401 webhook_signature_invalid without the %s header, and nothing is written",
    async (header) => {
      const { endpoint } = await setup();
      const response = await deliver(endpoint, provisionEvent(JENNY), { omit: [header] });
      expectProblem(response, 401, "webhook_signature_invalid");
      await expectNothingWritten();
    },
  );

  it("401 webhook_signature_invalid for a non-numeric timestamp", async () => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY), { headers: { "webhook-timestamp": "soon" } });
    expectProblem(response, 401, "webhook_signature_invalid");
  });

  it.each([
    ["6 minutes old", -6 * MINUTE],
    ["6 minutes ahead", 6 * MINUTE],
  ])(
    "401 webhook_timestamp_out_of_range for a correctly signed delivery %s, and nothing is written",
    async (_l, skew) => {
      const { endpoint } = await setup();
      const response = await deliver(endpoint, provisionEvent(JENNY), { at: new Date(Date.now() + skew) });
      expectProblem(response, 401, "webhook_timestamp_out_of_range");
      await expectNothingWritten();
    },
  );

  it.each([
    ["4 minutes old", -4 * MINUTE],
    ["4 minutes ahead", 4 * MINUTE],
  ])("accepts a delivery signed %s", async (_l, skew) => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, provisionEvent(JENNY), { at: new Date(Date.now() + skew) });
    expect(response.body.status).toBe("applied");
  });

  it("404 not_found for an unknown endpoint, and for a deleted one (even correctly signed)", async () => {
    const { key, endpoint } = await setup();
    const unknown = await deliver({ ...endpoint, id: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R" }, provisionEvent(JENNY));
    expectProblem(unknown, 404, "not_found");
    expect((await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key })).status).toBe(200);
    const deleted = await deliver(endpoint, provisionEvent(JENNY));
    expectProblem(deleted, 404, "not_found");
    await expectNothingWritten();
  });

  it("needs no API key, and an API key does not replace the signature", async () => {
    const { key, endpoint } = await setup();
    const unsigned = await call("POST", `/v1/webhooks/${endpoint.id}`, { key, body: provisionEvent(JENNY) });
    expectProblem(unsigned, 401, "webhook_signature_invalid");
    await expectNothingWritten();
  });
});

describe("secret rotation", () => {
  it("the previous secret keeps verifying after a rotation; the new one verifies too", async () => {
    const { key, endpoint } = await setup();
    const newSecret = await rotate(key, endpoint);
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "a" }))).body.status).toBe("applied");
    const withNew = await deliver({ ...endpoint, secret: newSecret }, provisionEvent({ alternative_id: "b" }));
    expect(withNew.body.status).toBe("applied");
  });

  it("the previous secret stops verifying once its 24 hours are over", async () => {
    const { key, endpoint } = await setup();
    await rotate(key, endpoint);
    await env.DB.prepare("UPDATE webhook_endpoints SET previous_secret_expires_at = ?2 WHERE id = ?1")
      .bind(endpoint.id, isoAgo(1000))
      .run();
    const response = await deliver(endpoint, provisionEvent({ alternative_id: "a" }));
    expectProblem(response, 401, "webhook_signature_invalid");
    expect(await countRows("customers")).toBe(0);
  });

  it("after a second rotation only the most recent previous secret verifies", async () => {
    const { key, endpoint } = await setup();
    const second = await rotate(key, endpoint);
    const third = await rotate(key, endpoint);
    expectProblem(await deliver(endpoint, provisionEvent({ alternative_id: "a" })), 401, "webhook_signature_invalid");
    const withSecond = await deliver({ ...endpoint, secret: second }, provisionEvent({ alternative_id: "b" }));
    expect(withSecond.body.status).toBe("applied");
    const withThird = await deliver({ ...endpoint, secret: third }, provisionEvent({ alternative_id: "c" }));
    expect(withThird.body.status).toBe("applied");
  });
});

describe("deduplication", () => {
  it("a redelivery of a webhook id answers duplicate and applies nothing again", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    const event = provisionEvent(JENNY, new Date().toISOString());
    const first = await deliver(endpoint, event, { id });
    expect(first.body.status).toBe("applied");
    const before = await getByAlternativeId(key, "user_jenny");
    // A retry is signed anew (new webhook-timestamp) with the same id.
    const retry = await deliver(endpoint, event, { id, at: new Date(Date.now() - MINUTE) });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ status: "duplicate" });
    // Even a different body under an already-processed id changes nothing.
    const changed = await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Changed" }), { id });
    expect(changed.body).toEqual({ status: "duplicate" });
    const after = await getByAlternativeId(key, "user_jenny");
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
  });

  it("webhook ids are per endpoint: the same id on two endpoints is applied on each", async () => {
    const { key, endpoint } = await setup();
    const other = await createEndpoint(key);
    const id = newMessageId();
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "a" }), { id })).body.status).toBe("applied");
    expect((await deliver(other, provisionEvent({ alternative_id: "b" }), { id })).body.status).toBe("applied");
    expect(await countRows("customers")).toBe(2);
  });

  it("50 concurrent deliveries of one webhook id: applied exactly once; the others duplicate or in progress", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    const event = provisionEvent({ ...JENNY, subscription: { plan_id: "pro" } }, new Date().toISOString());
    const responses = await Promise.all(Array.from({ length: 50 }, () => deliver(endpoint, event, { id })));
    const outcomes = responses.map((r) => (r.status === 200 ? r.body.status : `${r.status} ${r.body.code}`));
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "applied" && o !== "duplicate" && o !== "409 webhook_in_progress")).toEqual([]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    }
    expect(await countRows("customers")).toBe(1);
    const customer = await getByAlternativeId(key, "user_jenny");
    // One write: created at version 1 and never touched again.
    expect(customer.headers.get("ETag")).toMatch(/-1"$/);
    const subscriptions = await env.DB.prepare("SELECT COUNT(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(subscriptions?.n).toBe(1);
    const messages = await env.DB.prepare("SELECT state FROM webhook_messages").all<{ state: string }>();
    expect(messages.results).toEqual([{ state: "processed" }]);
  });

  it("a failure worth retrying (storage down) releases the claim: 503, then the retry applies", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    // Requests run in sessions (lib/db.ts): the outage is injected into every session taken.
    const withSession = env.DB.withSession.bind(env.DB);
    const spy = vi.spyOn(env.DB, "withSession").mockImplementation((start) => {
      const session = withSession(start);
      return new Proxy(session, {
        get(inner, name) {
          if (name === "prepare") {
            return (sql: string) => {
              if (/INSERT INTO customers/.test(sql)) throw new Error("D1_ERROR: injected outage");
              return inner.prepare(sql);
            };
          }
          const member = Reflect.get(inner, name);
          return typeof member === "function" ? member.bind(inner) : member;
        },
      });
    });
    const failed = await deliver(endpoint, provisionEvent(JENNY), { id });
    expectProblem(failed, 503, "storage_unavailable");
    expect(await countRows("webhook_messages")).toBe(0);
    spy.mockRestore();
    const retry = await deliver(endpoint, provisionEvent(JENNY), { id });
    expect(retry.body.status).toBe("applied");
    expect((await getByAlternativeId(key, "user_jenny")).status).toBe(200);
  });

  it("a claim left 'processing' by a Worker that died is taken over after a minute, not before", async () => {
    const { endpoint } = await setup();
    const id = newMessageId();
    const abandon = (claimedAt: string) =>
      env.DB.prepare(
        `INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
         VALUES (?1, ?2, 'processing', 'dead', ?3, ?3)
         ON CONFLICT DO UPDATE SET claimed_at = excluded.claimed_at`,
      )
        .bind(endpoint.id, id, claimedAt)
        .run();
    await abandon(isoAgo(10_000));
    const inProgress = await deliver(endpoint, provisionEvent(JENNY), { id });
    expectProblem(inProgress, 409, "webhook_in_progress");
    expect(inProgress.headers.get("Retry-After")).toBe("5");
    expect(await countRows("customers")).toBe(0);
    await abandon(isoAgo(2 * MINUTE));
    expect((await deliver(endpoint, provisionEvent(JENNY), { id })).body.status).toBe("applied");
  });

  it("ignores Idempotency-Key: two events with the same key are both applied", async () => {
    const { endpoint } = await setup();
    const headers = { "Idempotency-Key": "same-key" };
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "a" }), { headers })).body.status).toBe("applied");
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "b" }), { headers })).body.status).toBe("applied");
    expect(await countRows("customers")).toBe(2);
  });
});

describe("standard events", () => {
  it("customer.provision updates an existing customer (fields sent only) and can add a subscription", async () => {
    const { key, endpoint } = await setup();
    const existing = await createCustomer(key, { ...JENNY, company: "Acme" });
    const response = await deliver(
      endpoint,
      provisionEvent({ id: existing.id, last_name: "Doe", subscription: { plan_id: "pro" } }),
    );
    expect(response.body).toEqual({ status: "applied", customer_id: existing.id });
    const customer = await call("GET", `/v1/customers/${existing.id}`, { key });
    expect(customer.body).toMatchObject({ first_name: "Jenny", last_name: "Doe", company: "Acme" });
    const subscriptions = await env.DB.prepare("SELECT plan_id FROM subscriptions").all<{ plan_id: string }>();
    expect(subscriptions.results).toEqual([{ plan_id: "pro" }]);
  });

  it.each([
    ["id", (customer: { id: string }) => ({ id: customer.id })],
    ["alternative_id", () => ({ alternative_id: "user_jenny" })],
  ])("customer.archive by %s archives the customer", async (_label, identity) => {
    const { key, endpoint } = await setup();
    const customer = await createCustomer(key, JENNY);
    const response = await deliver(endpoint, { type: "customer.archive", data: identity(customer) });
    expect(response.body).toEqual({ status: "applied", customer_id: customer.id });
    expect((await call("GET", `/v1/customers/${customer.id}`, { key })).status).toBe(410);
  });

  it("customer.archive for a customer Roster does not know: ignored", async () => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, { type: "customer.archive", data: { alternative_id: "nobody" } });
    expect(response.body).toEqual({ status: "ignored" });
  });

  it("an unknown event type: ignored, recorded (a redelivery is a duplicate), nothing changed", async () => {
    const { endpoint } = await setup();
    const id = newMessageId();
    const event = { type: "invoice.paid", timestamp: new Date().toISOString(), data: { id: "in_1" } };
    expect((await deliver(endpoint, event, { id })).body).toEqual({ status: "ignored" });
    expect((await deliver(endpoint, event, { id })).body).toEqual({ status: "duplicate" });
    expect(await countRows("customers")).toBe(0);
  });

  it("invalid data: 200 failed with the problem (pointers into the body); recorded, so a redelivery is a duplicate", async () => {
    const { endpoint } = await setup();
    const id = newMessageId();
    const event = provisionEvent({ alternative_id: "u1", email: "not-an-email", plan: "pro" });
    const response = await deliver(endpoint, event, { id });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("failed");
    expect(response.body.error).toMatchObject({
      type: "/docs/problems#validation_failed",
      status: 400,
      code: "validation_failed",
    });
    const pointers = response.body.error.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(["/data/email", "/data/plan"]);
    expect(await countRows("customers")).toBe(0);
    expect((await deliver(endpoint, event, { id })).body).toEqual({ status: "duplicate" });
  });

  it.each([
    ["no identity", provisionEvent({ email: "a@example.com" }), "/data"],
    ["a timestamp that is not ISO 8601", provisionEvent({ alternative_id: "u1" }, "yesterday"), "/timestamp"],
    ["no type", { data: { alternative_id: "u1" } }, "/type"],
    [
      "an archive naming both id and alternative_id",
      { type: "customer.archive", data: { id: "c1", alternative_id: "u1" } },
      "/data",
    ],
  ])("%s: failed, pointing at %s", async (_label, event, pointer) => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, event);
    expect(response.body.status).toBe("failed");
    expect(response.body.error.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  });

  it("a conflict (email of another customer) is failed with that problem, not retried", async () => {
    const { key, endpoint } = await setup();
    await createCustomer(key, { email: "taken@example.com" });
    const response = await deliver(endpoint, provisionEvent({ alternative_id: "u1", email: "taken@example.com" }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "failed", error: { code: "email_taken", status: 409 } });
  });

  it("a signed body that is not JSON: 400 invalid_json as problem+json, nothing written", async () => {
    const { endpoint } = await setup();
    const response = await deliver(endpoint, "{not json");
    expectProblem(response, 400, "invalid_json");
    expect(await countRows("webhook_messages")).toBe(0);
  });

  it("bodies up to 256 KiB are accepted (well over the API's 64 KiB); larger ones are 413", async () => {
    const { endpoint } = await setup();
    const padding = "x".repeat(200 * 1024);
    const big = { ...provisionEvent({ alternative_id: "u1" }), padding };
    expect((await deliver(endpoint, big)).body.status).toBe("applied");
    const tooBig = { ...provisionEvent({ alternative_id: "u2" }), padding: "x".repeat(257 * 1024) };
    expectProblem(await deliver(endpoint, tooBig), 413, "payload_too_large");
  });
});

describe("ordering", () => {
  it("an event older than the last one applied is stale and changes nothing", async () => {
    const { key, endpoint } = await setup();
    const newer = new Date().toISOString();
    const older = isoAgo(HOUR);
    expect((await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "New" }, newer))).body.status).toBe(
      "applied",
    );
    const stale = await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Old" }, older));
    expect(stale.body).toEqual({ status: "stale" });
    expect((await getByAlternativeId(key, "user_jenny")).body.first_name).toBe("New");
  });

  it("delivered out of order, the newest event's data wins", async () => {
    const { key, endpoint } = await setup();
    const t1 = isoAgo(2 * HOUR);
    const t2 = isoAgo(HOUR);
    const t3 = new Date().toISOString();
    await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Three" }, t3));
    await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "One" }, t1));
    await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Two" }, t2));
    expect((await getByAlternativeId(key, "user_jenny")).body.first_name).toBe("Three");
  });

  it("timestamps with an offset are compared as UTC", async () => {
    const { key, endpoint } = await setup();
    // 10:30+02:00 is 08:30Z, older than 09:00Z.
    await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Nine" }, "2026-11-22T09:00:00.000Z"));
    const stale = await deliver(
      endpoint,
      provisionEvent({ ...JENNY, first_name: "Eight" }, "2026-11-22T10:30:00+02:00"),
    );
    expect(stale.body.status).toBe("stale");
    expect((await getByAlternativeId(key, "user_jenny")).body.first_name).toBe("Nine");
  });

  it("without a payload timestamp, the webhook-timestamp orders the event", async () => {
    const { key, endpoint } = await setup();
    await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Now" }, new Date().toISOString()));
    // Signed 2 minutes ago, no timestamp in the payload: older than the event above.
    const stale = await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Before" }), {
      at: new Date(Date.now() - 2 * MINUTE),
    });
    expect(stale.body.status).toBe("stale");
    expect((await getByAlternativeId(key, "user_jenny")).body.first_name).toBe("Now");
  });

  it("archive events always apply, even when older than the last event", async () => {
    const { key, endpoint } = await setup();
    const created = await deliver(endpoint, provisionEvent(JENNY, new Date().toISOString()));
    const archive = await deliver(endpoint, {
      type: "customer.archive",
      timestamp: isoAgo(DAY),
      data: { alternative_id: "user_jenny" },
    });
    expect(archive.body).toEqual({ status: "applied", customer_id: created.body.customer_id });
    expect((await call("GET", `/v1/customers/${created.body.customer_id}`, { key })).status).toBe(410);
  });

  it.each([
    ["by alternative ID", () => ({ alternative_id: "user_jenny" })],
    ["by id", (id: string) => ({ id })],
  ])("an event for an archived customer (%s) answers archived and does not bring it back", async (_l, identity) => {
    const { key, endpoint } = await setup();
    const created = await deliver(endpoint, provisionEvent(JENNY, isoAgo(HOUR)));
    const id = created.body.customer_id;
    await deliver(endpoint, { type: "customer.archive", data: { id } });
    const late = await deliver(
      endpoint,
      provisionEvent({ ...identity(id), first_name: "Back" }, new Date().toISOString()),
    );
    expect(late.body).toEqual({ status: "archived" });
    expect(await countRows("customers")).toBe(1);
    expect((await getByAlternativeId(key, "user_jenny")).status).toBe(404);
    expect((await call("GET", `/v1/customers/${id}`, { key })).status).toBe(410);
  });
});
