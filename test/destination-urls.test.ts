import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  bareCustomer,
  consume,
  createDestination,
  DESTINATIONS,
  deliveriesOf,
  delivery,
  destinationPath,
  mockReceiver,
  recordEvent,
} from "./events-helpers";
import { call, expectValidationFailed, newOrganization, type Problem } from "./helpers";
import type { EventDestination } from "./response-types";

afterEach(() => {
  vi.restoreAllMocks();
});

// Deployed configuration (wrangler.toml's top level) and local development / tests.
const production = { ...env, ALLOW_HTTP_DESTINATIONS: "false" };

/** Addresses inside a private network, in the spellings the URL parser turns into one address. */
const PRIVATE_EVERYWHERE = [
  "https://169.254.169.254/latest/meta-data",
  "https://10.0.0.1/x",
  "https://10.1/x",
  "https://0x0a000001/x",
  "https://167772161/x",
  "https://012.0.0.1/x",
  "https://172.16.0.1/x",
  "https://172.31.255.255/x",
  "https://192.168.1.1/x",
  "https://100.64.0.1/x",
  "https://100.127.255.254/x",
  "https://0.0.0.0/x",
  "https://0/x",
  "https://224.0.0.1/x",
  "https://255.255.255.255/x",
  "https://[::]/x",
  "https://[fd00::1]/x",
  "https://[fc00::1]/x",
  "https://[fe80::1]/x",
  "https://[febf::1]/x",
  "https://[ff02::1]/x",
  "https://[::ffff:10.0.0.1]/x",
  "https://[::ffff:a9fe:a9fe]/x",
  "https://[::ffff:127.0.0.1]/x",
  "https://[::ffff:7f00:1]/x",
  "https://[64:ff9b::a00:1]/x",
  "https://[::127.0.0.1]/x",
  "http://[::ffff:127.0.0.1]/x",
];

/** Loopback in every spelling: refused where the deployment does not allow loopback. */
const LOOPBACK = [
  "https://127.0.0.1/x",
  "https://127.1/x",
  "https://0x7f000001/x",
  "https://2130706433/x",
  "https://0177.0.0.1/x",
  "https://127.0.0.1./x",
  "https://127.255.255.254/x",
  "https://localhost/x",
  "https://LOCALHOST./x",
  "https://receiver.localhost/x",
  "https://[::1]/x",
  "https://[0:0:0:0:0:0:0:1]/x",
  "http://127.1:9999/x",
];

const PUBLIC = [
  "https://8.8.8.8/x",
  "https://100.128.0.1/x",
  "https://172.32.0.1/x",
  "https://169.255.0.1/x",
  "https://[2606:4700:4700::1111]/x",
  "https://[::ffff:8.8.8.8]/x",
  "https://10.example.com/x",
  "https://localhost.example.com/x",
];

/** POST and PATCH with this URL: both 400 naming /url, and the destination keeps its URL. */
async function expectRefused(url: string, bindings: Env) {
  const { key } = await newOrganization();
  const created = await call<Problem>("POST", DESTINATIONS, { key, body: { url }, env: bindings });
  expectValidationFailed(created, ["/url"]);
  const destination = await createDestination(key, { url: "https://example.com/hooks" });
  const patched = await call<Problem>("PATCH", destinationPath(destination.id), {
    key,
    body: { url },
    env: bindings,
  });
  expectValidationFailed(patched, ["/url"]);
  const kept = await call<EventDestination>("GET", destinationPath(destination.id), { key });
  expect(kept.body.url).toBe("https://example.com/hooks");
  return created.body;
}

describe("destination URLs never name an address inside a private network", () => {
  it.each(PRIVATE_EVERYWHERE)("refuses %s on POST and PATCH, also where loopback is allowed", async (url) => {
    await expectRefused(url, production);
    const problem = await expectRefused(url, env);
    expect(problem.errors?.[0]?.detail).toMatch(/private network|https:\/\//);
  });

  it.each(LOOPBACK)("refuses loopback %s where the deployment does not allow it", async (url) => {
    await expectRefused(url, production);
  });

  it.each(LOOPBACK)("accepts loopback %s where ALLOW_HTTP_DESTINATIONS is true", async (url) => {
    const { key } = await newOrganization();
    expect((await call("POST", DESTINATIONS, { key, body: { url } })).status).toBe(201);
  });

  it.each(PUBLIC)("accepts %s everywhere", async (url) => {
    const { key } = await newOrganization();
    const created = await call<EventDestination>("POST", DESTINATIONS, { key, body: { url }, env: production });
    expect(created.status, created.text).toBe(201);
    const patched = await call("PATCH", destinationPath(created.body.id), { key, body: { url }, env: production });
    expect(patched.status).toBe(200);
  });

  it("says which range the address is in", async () => {
    const { key } = await newOrganization();
    const response = await call<Problem>("POST", DESTINATIONS, {
      key,
      body: { url: "https://0xa9fea9fe/latest" },
      env: production,
    });
    expect(response.body.errors).toEqual([
      {
        pointer: "/url",
        detail: "must not name an address inside a private network (169.254.169.254 is link-local (169.254.0.0/16))",
      },
    ]);
  });
});

describe("the URL is checked again before every delivery attempt", () => {
  /** A destination whose stored URL the rule refuses today (stored before the rule, or a setting changed). */
  async function deliveryToRefusedUrl(url: string) {
    const org = await newOrganization();
    const customer = await bareCustomer(org.orgId);
    const destination = await createDestination(org.key);
    await env.DB.prepare("UPDATE event_destinations SET url = ?2 WHERE id = ?1").bind(destination.id, url).run();
    const eventId = await recordEvent(org.orgId, customer.id);
    const [row] = await deliveriesOf(eventId);
    if (!row) throw new Error("no delivery");
    return row;
  }

  it.each(["https://169.254.169.254/latest", "https://[fd00::1]/x", "https://0x64400001/x"])(
    "fails a delivery to %s with url_not_allowed, making no request",
    async (url) => {
      const row = await deliveryToRefusedUrl(url);
      const { received, spy } = mockReceiver(() => 204);
      const result = await consume([row]);
      expect(spy).not.toHaveBeenCalled();
      expect(received).toEqual([]);
      expect(result.retryMessages).toEqual([]);
      expect(await delivery(row.id)).toMatchObject({
        status: "failed",
        attempts: 1,
        last_error: "url_not_allowed",
        last_response_status: null,
        next_attempt_at: null,
      });
    },
  );

  it("the deliveries list shows the reason", async () => {
    const org = await newOrganization();
    const customer = await bareCustomer(org.orgId);
    const destination = await createDestination(org.key);
    await env.DB.prepare("UPDATE event_destinations SET url = 'https://10.0.0.1/x' WHERE id = ?1")
      .bind(destination.id)
      .run();
    const [row] = await deliveriesOf(await recordEvent(org.orgId, customer.id));
    mockReceiver(() => 204);
    await consume([row!]);
    const list = await call<{ data: { last_error: string | null; status: string }[] }>(
      "GET",
      `${destinationPath(destination.id)}/deliveries`,
      { key: org.key },
    );
    expect(list.body.data[0]).toMatchObject({ status: "failed", last_error: "url_not_allowed" });
  });
});
