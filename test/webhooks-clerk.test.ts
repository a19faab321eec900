import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type CustomerObject, call, newOrganization } from "./helpers";
import {
  clerkUserDeleted,
  clerkUserEvent,
  countRows,
  createEndpoint,
  deliver,
  HOUR,
  MINUTE,
  newMessageId,
} from "./webhooks-helpers";

const USER_ID = "user_29w83sxmDNGwOuEthce5gg56FcC";

async function setup() {
  const { key } = await newOrganization();
  return { key, endpoint: await createEndpoint(key, "clerk") };
}

const getUser = (key: string, userId = USER_ID) =>
  call<CustomerObject>("GET", `/v1/customers/alternative-id/${encodeURIComponent(userId)}`, { key });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Clerk user events", () => {
  it("user.created provisions the customer: alternative_id = data.id, the primary email, first/last name and name", async () => {
    const { key, endpoint } = await setup();
    // The primary address is the second of the two.
    const response = await deliver(endpoint, clerkUserEvent("user.created", { primary: "work" }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "applied", customer_id: expect.stringMatching(/^cus_/) });
    const customer = await getUser(key);
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({
      id: response.body.customer_id,
      alternative_id: USER_ID,
      email: "jenny.doe@work.example.com",
      first_name: "Jenny",
      last_name: "Doe",
      name: "Jenny Doe",
    });
  });

  it("the primary address is chosen by primary_email_address_id, not by position", async () => {
    const { key, endpoint } = await setup();
    await deliver(endpoint, clerkUserEvent("user.created", { primary: "personal" }));
    expect((await getUser(key)).body.email).toBe("jenny.personal@example.com");
  });

  it.each([
    ["only a first name", { first_name: "Jenny", last_name: null }, "Jenny"],
    ["only a last name", { first_name: null, last_name: "Doe" }, "Doe"],
    ["empty-string names", { first_name: "", last_name: "" }, null],
    ["no names", { first_name: null, last_name: null }, null],
  ])("name from %s", async (_label, names, name) => {
    const { key, endpoint } = await setup();
    const response = await deliver(endpoint, clerkUserEvent("user.created", names));
    expect(response.body.status).toBe("applied");
    const customer = (await getUser(key)).body;
    expect(customer.name).toBe(name);
    expect([customer.first_name, customer.last_name]).toEqual([names.first_name || null, names.last_name || null]);
  });

  it("no primary email address: email is null", async () => {
    const { key, endpoint } = await setup();
    await deliver(endpoint, clerkUserEvent("user.created", { primary: null }));
    expect((await getUser(key)).body.email).toBeNull();
  });

  it("user.updated applies the new email and names to the same customer", async () => {
    const { key, endpoint } = await setup();
    const t = Date.now() - HOUR;
    const created = await deliver(endpoint, clerkUserEvent("user.created", { updatedAt: t }));
    const updated = await deliver(
      endpoint,
      clerkUserEvent("user.updated", {
        updatedAt: t + MINUTE,
        last_name: "Smith",
        workEmail: "jenny.smith@work.example.com",
      }),
    );
    expect(updated.body).toEqual({ status: "applied", customer_id: created.body.customer_id });
    expect((await getUser(key)).body).toMatchObject({
      email: "jenny.smith@work.example.com",
      last_name: "Smith",
      name: "Jenny Smith",
    });
    expect(await countRows("customers")).toBe(1);
  });

  it("user.updated before user.created (out of order) converges to the newest data; the late created is stale", async () => {
    const { key, endpoint } = await setup();
    const t = Date.now() - HOUR;
    const created = clerkUserEvent("user.created", { updatedAt: t, first_name: "Jen" });
    const updated = clerkUserEvent("user.updated", { updatedAt: t + MINUTE, first_name: "Jenny" });
    expect((await deliver(endpoint, updated)).body.status).toBe("applied");
    expect((await deliver(endpoint, created)).body).toEqual({ status: "stale" });
    expect((await getUser(key)).body).toMatchObject({ first_name: "Jenny", name: "Jenny Doe" });
    expect(await countRows("customers")).toBe(1);
  });

  it("an older user.updated does not overwrite a newer one, whatever the delivery times", async () => {
    const { key, endpoint } = await setup();
    const t = Date.now() - HOUR;
    await deliver(endpoint, clerkUserEvent("user.updated", { updatedAt: t + 2 * MINUTE, last_name: "Newest" }));
    // Retried now (new webhook-timestamp), but the change happened earlier at Clerk.
    const stale = await deliver(
      endpoint,
      clerkUserEvent("user.updated", { updatedAt: t + MINUTE, last_name: "Older" }),
    );
    expect(stale.body).toEqual({ status: "stale" });
    expect((await getUser(key)).body.last_name).toBe("Newest");
  });

  it("user.deleted archives the customer by alternative ID", async () => {
    const { key, endpoint } = await setup();
    const created = await deliver(endpoint, clerkUserEvent("user.created"));
    const deleted = await deliver(endpoint, clerkUserDeleted());
    expect(deleted.body).toEqual({ status: "applied", customer_id: created.body.customer_id });
    expect((await getUser(key)).status).toBe(404);
    const byId = await call("GET", `/v1/customers/${created.body.customer_id}`, { key });
    expect(byId.status).toBe(410);
  });

  it("user.created (or updated) after user.deleted does not resurrect the customer: archived", async () => {
    const { key, endpoint } = await setup();
    const t = Date.now() - HOUR;
    await deliver(endpoint, clerkUserEvent("user.created", { updatedAt: t }));
    await deliver(endpoint, clerkUserDeleted(USER_ID, t + 2 * MINUTE));
    const lateCreated = await deliver(endpoint, clerkUserEvent("user.created", { updatedAt: t }));
    expect(lateCreated.body).toEqual({ status: "archived" });
    const lateUpdated = await deliver(endpoint, clerkUserEvent("user.updated", { updatedAt: t + MINUTE }));
    expect(lateUpdated.body).toEqual({ status: "archived" });
    expect(await countRows("customers")).toBe(1);
    expect((await getUser(key)).status).toBe(404);
  });

  it("user.deleted for a user Roster does not know: ignored", async () => {
    const { endpoint } = await setup();
    expect((await deliver(endpoint, clerkUserDeleted("user_unknown"))).body).toEqual({ status: "ignored" });
  });

  it("other Clerk event types are ignored", async () => {
    const { endpoint } = await setup();
    const session = { data: { id: "sess_1", user_id: USER_ID }, object: "event", type: "session.created" };
    expect((await deliver(endpoint, session)).body).toEqual({ status: "ignored" });
    expect(await countRows("customers")).toBe(0);
  });

  it("standard event types mean nothing on a clerk endpoint (and Clerk's on a standard one)", async () => {
    const { key, endpoint } = await setup();
    const standard = await createEndpoint(key, "standard");
    const provision = { type: "customer.provision", data: { alternative_id: "u1" } };
    expect((await deliver(endpoint, provision)).body).toEqual({ status: "ignored" });
    expect((await deliver(standard, clerkUserEvent("user.created"))).body).toEqual({ status: "ignored" });
    expect(await countRows("customers")).toBe(0);
  });

  it("an invalid primary email: failed, pointing at that address in the Clerk payload; a redelivery is a duplicate", async () => {
    const { endpoint } = await setup();
    const id = newMessageId();
    const event = clerkUserEvent("user.created", { workEmail: "jenny at work" });
    const response = await deliver(endpoint, event, { id });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "failed", error: { code: "validation_failed" } });
    expect(response.body.error?.errors?.map((e) => e.pointer)).toEqual(["/data/email_addresses/1/email_address"]);
    expect(await countRows("customers")).toBe(0);
    expect((await deliver(endpoint, event, { id })).body).toEqual({ status: "duplicate" });
  });

  it("a user event without data.id: failed, pointing at /data/id", async () => {
    const { endpoint } = await setup();
    const event = clerkUserEvent("user.created");
    const { id: _id, ...data } = event.data;
    const response = await deliver(endpoint, { ...event, data });
    expect(response.body.status).toBe("failed");
    expect(response.body.error?.errors?.map((e) => e.pointer)).toEqual(["/data/id"]);
  });

  it("payloads over 64 KiB (large Clerk metadata) are accepted", async () => {
    const { key, endpoint } = await setup();
    const event = clerkUserEvent("user.created", { extra: { public_metadata: { notes: "n".repeat(100 * 1024) } } });
    expect(JSON.stringify(event).length).toBeGreaterThan(64 * 1024);
    expect((await deliver(endpoint, event)).body.status).toBe("applied");
    expect((await getUser(key)).status).toBe(200);
  });

  it("logs carry no PII, alternative ID or secret", async () => {
    const { endpoint } = await setup();
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
    vi.spyOn(console, "warn").mockImplementation(capture);
    const logging = env as unknown as { LOG_REQUESTS: string };
    const before = logging.LOG_REQUESTS;
    logging.LOG_REQUESTS = "true";
    try {
      await deliver(endpoint, clerkUserEvent("user.created"));
      await deliver(endpoint, clerkUserEvent("user.updated", { workEmail: "bad email" }));
      await deliver(endpoint, clerkUserDeleted());
      await deliver(endpoint, clerkUserEvent("user.created"), { secret: `whsec_${btoa("w".repeat(24))}` });
    } finally {
      logging.LOG_REQUESTS = before;
    }
    const logged = lines.join("\n");
    expect(logged).toContain('"message":"webhook"');
    for (const secretish of [USER_ID, "jenny", "Jenny", "Doe", "example.com", endpoint.secret.slice(6)]) {
      expect(logged).not.toContain(secretish);
    }
  });
});
