import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomWellFormedKey, unreachableD1 } from "./d1-spy";
import { ADMIN_TOKEN, type Called, call, newOrganization, type Problem, type WebhookResult } from "./helpers";
import { createEndpoint, provisionEvent, signatureHeaders } from "./webhooks-helpers";

// This file runs with a failure limit of 3 per 60 s per client address (see vitest.config.ts).
// Each test uses its own addresses: this isolate remembers addresses over their budget.

let next = 0;
const newAddress = () => `198.51.100.${++next}`;

const get = (key: string, address: string, testEnv?: Env) =>
  call<Problem>("GET", "/v1/customers", { key, headers: { "CF-Connecting-IP": address }, env: testEnv });

function deliverFrom(
  address: string,
  endpoint: { id: string; secret: string },
  payload: unknown,
  secret = endpoint.secret,
) {
  const body = JSON.stringify(payload);
  return call<Problem | WebhookResult>("POST", `/v1/webhooks/${endpoint.id}`, {
    rawBody: body,
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": address, ...signatureHeaders(secret, body) },
  });
}

/** A problem's code, or the intake's result status. */
const codeOf = (body: Problem | WebhookResult) => ("code" in body ? body.code : body.status);

const outcome = (response: Called<Problem | WebhookResult>) => `${response.status} ${codeOf(response.body)}`;

function expectRateLimited(response: Called<Problem | WebhookResult>) {
  expect(outcome(response)).toBe("429 rate_limited");
  expect(response.headers.get("Retry-After")).toBe("60");
}

const OTHER_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("failures are rate-limited per client address", () => {
  it("unknown API keys: 401 three times, then 429 with Retry-After; other addresses and valid keys unaffected", async () => {
    const { key } = await newOrganization();
    const address = newAddress();
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push(outcome(await get(randomWellFormedKey(), address)));
    expect(statuses).toEqual(Array(3).fill("401 unauthorized"));
    expectRateLimited(await get(randomWellFormedKey(), address));
    expect(outcome(await get(randomWellFormedKey(), newAddress()))).toBe("401 unauthorized");
    expect((await get(key, newAddress())).status).toBe(200);
  });

  it("an address over its budget gets no storage lookups", async () => {
    const address = newAddress();
    for (let i = 0; i < 4; i++) await get(randomWellFormedKey(), address);
    expectRateLimited(await get(randomWellFormedKey(), address, { ...env, DB: unreachableD1(env.DB) }));
  });

  it("a live key the caches know still works from an address over its budget", async () => {
    const { key } = await newOrganization();
    const address = newAddress();
    expect((await get(key, address)).status).toBe(200);
    for (let i = 0; i < 4; i++) await get(randomWellFormedKey(), address);
    expectRateLimited(await get(randomWellFormedKey(), address));
    // Successes are never limited: the key is in this isolate's memory, so its check reads no D1.
    expect((await get(key, address)).status).toBe(200);
  });

  it("malformed tokens and wrong admin tokens count too", async () => {
    const address = newAddress();
    for (const token of ["nope", "rk_short", "Basic"]) expect((await get(token, address)).status).toBe(401);
    expectRateLimited(await get("nope", address));

    const admin = newAddress();
    const create = (token: string) =>
      call<Problem>("POST", "/v1/organizations", {
        key: token,
        body: { name: "x" },
        headers: { "CF-Connecting-IP": admin },
      });
    for (let i = 0; i < 3; i++) expect((await create("wrong-admin-token")).status).toBe(401);
    expectRateLimited(await create("wrong-admin-token"));
    // Checking the admin token needs no storage: the right one still works (successes are never limited).
    expect((await create(ADMIN_TOKEN)).status).toBe(201);
  });

  it("webhook deliveries to unknown endpoints count", async () => {
    const address = newAddress();
    const unknown = { id: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", secret: OTHER_SECRET };
    for (let i = 0; i < 3; i++) expect(outcome(await deliverFrom(address, unknown, {}))).toBe("404 not_found");
    expectRateLimited(await deliverFrom(address, unknown, {}));
  });

  it("webhook deliveries with a bad signature count", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const address = newAddress();
    for (let i = 0; i < 3; i++) {
      const response = await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "u" }), OTHER_SECRET);
      expect(outcome(response)).toBe("401 webhook_signature_invalid");
    }
    expectRateLimited(await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "u" }), OTHER_SECRET));
  });

  it("successes never count: 50 concurrent signed deliveries from one address all pass", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const address = newAddress();
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => deliverFrom(address, endpoint, provisionEvent({ alternative_id: `u${i}` }))),
    );
    expect(responses.map(outcome)).toEqual(Array(50).fill("200 applied"));
    // ...and left the address its whole failure budget.
    for (let i = 0; i < 3; i++) {
      const response = await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "x" }), OTHER_SECRET);
      expect(outcome(response)).toBe("401 webhook_signature_invalid");
    }
    expectRateLimited(await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "x" }), OTHER_SECRET));
  });
});
