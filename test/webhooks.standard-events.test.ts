import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type CustomerObject, call, createCustomer, expectProblem } from "./helpers";
import {
  countRows,
  DAY,
  deliver,
  getByAlternativeId,
  HOUR,
  isoAgo,
  JENNY,
  MINUTE,
  newMessageId,
  provisionEvent,
  setup,
} from "./webhooks-helpers";

/** POST /v1/webhooks/{endpoint_id}: what standard events do, and in which order they apply. */

describe("standard events", () => {
  it("customer.provision updates an existing customer (fields sent only) and can add a subscription", async () => {
    const { key, endpoint } = await setup();
    const existing = await createCustomer(key, { ...JENNY, company: "Acme" });
    const response = await deliver(
      endpoint,
      provisionEvent({ id: existing.id, last_name: "Doe", subscription: { plan_id: "pro" } }),
    );
    expect(response.body).toEqual({ status: "applied", customer_id: existing.id });
    const customer = await call<CustomerObject>("GET", `/v1/customers/${existing.id}`, { key });
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
    const pointers = response.body.error?.errors?.map((e) => e.pointer).sort();
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
    expect(response.body.error?.errors?.map((e) => e.pointer)).toContain(pointer);
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
    const id = created.body.customer_id ?? "";
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
