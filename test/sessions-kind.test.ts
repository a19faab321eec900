import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { altPath, type CallOptions, call, createCustomer, newOrganization } from "./helpers";
import type { AddressObject } from "./response-types";
import { recordingSessions } from "./session-recorder";

/**
 * Where each request's D1 session starts, read off the binding: every `withSession` call is
 * recorded. One session per request; writes on the primary, reads on the nearest copy unless
 * the caller asks otherwise; work after the response in a session of its own.
 */

/** The session starts one request made. */
async function startsOf(method: string, path: string, options: CallOptions = {}) {
  const recorder = recordingSessions();
  const response = await call(method, path, { ...options, env: recorder.env });
  return { status: response.status, starts: recorder.starts };
}

const BOOKMARK = "00000000-00000001-00000000-00000000000000000000000000000000";

async function customerSetup() {
  const { key } = await newOrganization();
  const customer = await createCustomer(key, { alternative_id: "kind-alt" });
  const base = `/v1/customers/${customer.id}`;
  const address = (
    await call<AddressObject>("POST", `${base}/addresses`, { key, body: { line1: "1 Main St", country: "US" } })
  ).body;
  return { key, base, addressPath: `${base}/addresses/${address.id}` };
}

describe("the session each route starts", () => {
  it("reads start on the nearest copy: GET one, by alternative ID, list, sub-resources, HEAD", async () => {
    const { key, base } = await customerSetup();
    for (const [method, path] of [
      ["GET", base],
      ["GET", altPath("kind-alt")],
      ["GET", "/v1/customers?limit=2"],
      ["GET", `${base}/addresses`],
      ["GET", `${base}/subscriptions`],
      ["GET", "/v1/api_keys"],
      ["HEAD", base],
    ] as const) {
      expect(await startsOf(method, path, { key }), `${method} ${path}`).toEqual({
        status: 200,
        starts: ["first-unconstrained"],
      });
    }
  });

  it("a read with a bookmark starts at it; a strong read on the primary, bookmark or not", async () => {
    const { key, base } = await customerSetup();
    expect(await startsOf("GET", base, { key, headers: { "Roster-Bookmark": BOOKMARK } })).toEqual({
      status: 200,
      starts: [BOOKMARK],
    });
    expect(await startsOf("GET", base, { key, headers: { "Roster-Consistency": "strong" } })).toEqual({
      status: 200,
      starts: ["first-primary"],
    });
    const both = { "Roster-Consistency": "strong", "Roster-Bookmark": BOOKMARK };
    expect(await startsOf("GET", "/v1/customers", { key, headers: both })).toEqual({
      status: 200,
      starts: ["first-primary"],
    });
  });

  it("writes start on the primary: POST, PATCH, PUT, DELETE, provision, import, sub-resources", async () => {
    const { key, base, addressPath } = await customerSetup();
    const doomed = await createCustomer(key);
    for (const [method, path, body, status] of [
      ["POST", "/v1/customers", { name: "n" }, 201],
      ["PATCH", base, { name: "p" }, 200],
      ["PATCH", altPath("kind-alt"), { name: "q" }, 200],
      ["PUT", base, { alternative_id: "kind-alt", name: "r" }, 200],
      ["POST", "/v1/customers/provision", { alternative_id: "kind-prov" }, 201],
      ["POST", "/v1/customers/import", { customers: [{ alternative_id: "kind-imp" }] }, 200],
      ["POST", `${base}/subscriptions`, { plan_id: "p" }, 201],
      ["PATCH", addressPath, { city: "Paris" }, 200],
      ["DELETE", addressPath, undefined, 200],
      ["POST", "/v1/webhook_endpoints", { source: "standard" }, 201],
      ["DELETE", `/v1/customers/${doomed.id}`, undefined, 200],
    ] as const) {
      expect(await startsOf(method, path, { key, body }), `${method} ${path}`).toEqual({
        status,
        starts: ["first-primary"],
      });
    }
  });

  it("a write sent with a bookmark or strong consistency still starts on the primary", async () => {
    const { key, base } = await customerSetup();
    const headers = { "Roster-Bookmark": BOOKMARK, "Roster-Consistency": "strong" };
    expect(await startsOf("PATCH", base, { key, body: { name: "b" }, headers })).toEqual({
      status: 200,
      starts: ["first-primary"],
    });
  });

  it("a request that never reaches D1 opens no session (API keys are looked up outside it)", async () => {
    const { key } = await newOrganization();
    expect(await startsOf("GET", "/v1/customers")).toEqual({ status: 401, starts: [] });
    expect(await startsOf("GET", "/v1/customers/has%20space", { key })).toEqual({ status: 400, starts: [] });
    expect(await startsOf("GET", "/v1/nothing-here", { key })).toEqual({ status: 404, starts: [] });
    const refused = { "Roster-Bookmark": "not-a-bookmark" };
    expect(await startsOf("GET", "/v1/customers", { key, headers: refused })).toEqual({ status: 400, starts: [] });
  });

  it("the Idempotency-Key replay cache fill, after the response, opens a session of its own on the primary", async () => {
    const { key } = await newOrganization();
    const headers = { "Idempotency-Key": "kind-1" };
    expect(await startsOf("POST", "/v1/customers", { key, body: { name: "i" }, headers })).toEqual({
      status: 201,
      starts: ["first-primary", "first-primary"],
    });
  });

  it("the Cron cleanup opens its own session on the primary", async () => {
    const recorder = recordingSessions();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: "*/30 * * * *" }),
      recorder.env,
    );
    expect(recorder.starts).toEqual(["first-primary"]);
  });
});
