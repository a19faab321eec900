import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { failingNetwork } from "../src/lib/failure-limit";
import { liveCredential } from "../src/lib/live-credentials";
import { randomWellFormedKey, recordingD1, unreachableD1 } from "./d1-spy";
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

/** Spends the address's budget (3 here) and many more: 120 failures, the last ones 429s. */
async function exhaust(address: string) {
  for (let i = 0; i < 120; i++) await get(randomWellFormedKey(), address);
  expectRateLimited(await get(randomWellFormedKey(), address));
}

describe("a limited address: valid credentials pass, guesses reach no storage", () => {
  it("a valid key no cache knows (never used) passes after 120 failures from its address", async () => {
    const { key } = await newOrganization();
    const address = newAddress();
    await exhaust(address);
    expect((await get(key, address)).status).toBe(200);
    // ...and the address stays limited for everything else.
    expectRateLimited(await get(randomWellFormedKey(), address));
  });

  it("a key from before the live-credential record gets one the first time D1 confirms it", async () => {
    const { orgId } = await newOrganization();
    // A key stored the way a release before the record stored it: in D1 only.
    const key = randomWellFormedKey();
    const keyHash = await sha256Hex(key);
    await env.DB.prepare(
      "INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES ('key_old', ?1, 'old', ?2, 'rk_xxxx', ?3)",
    )
      .bind(orgId, keyHash, new Date().toISOString())
      .run();
    const record = liveCredential.apiKey(keyHash);
    expect(await env.KV.get(record)).toBeNull();
    expect((await get(key, newAddress())).status).toBe(200);
    expect(await env.KV.get(record)).toBe("1");
  });

  it("a revoked key is refused from a limited address without a D1 read", async () => {
    const { key } = await newOrganization();
    const second = await call<{ id: string; secret: string }>("POST", "/v1/api_keys", { key, body: {} });
    expect(second.status).toBe(201);
    expect((await call("DELETE", `/v1/api_keys/${second.body.id}`, { key })).status).toBe(200);
    const address = newAddress();
    await exhaust(address);
    const spy = recordingD1(env.DB);
    expectRateLimited(await get(second.body.secret, address, { ...env, DB: spy.db }));
    expect(spy.statements).toEqual([]);
  });

  it("unknown keys and unknown endpoints from a limited address read no D1", async () => {
    const address = newAddress();
    await exhaust(address);
    const spy = recordingD1(env.DB);
    for (let i = 0; i < 20; i++) expectRateLimited(await get(randomWellFormedKey(), address, { ...env, DB: spy.db }));
    const unknown = { id: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z2S", secret: OTHER_SECRET };
    const body = JSON.stringify(provisionEvent({ alternative_id: "u" }));
    const response = await call<Problem>("POST", `/v1/webhooks/${unknown.id}`, {
      rawBody: body,
      env: { ...env, DB: spy.db },
      headers: {
        "Content-Type": "application/json",
        "CF-Connecting-IP": address,
        ...signatureHeaders(OTHER_SECRET, body),
      },
    });
    expectRateLimited(response);
    expect(spy.statements).toEqual([]);
  });

  it("a signed delivery to another tenant's existing endpoint passes from a limited address, cold", async () => {
    const { key } = await newOrganization("Other tenant");
    const endpoint = await createEndpoint(key);
    const address = newAddress();
    await exhaust(address);
    // Junk to the same endpoint from that address is still refused...
    expectRateLimited(await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "j" }), OTHER_SECRET));
    // ...and the signed delivery applies.
    expect(outcome(await deliverFrom(address, endpoint, provisionEvent({ alternative_id: "signed" })))).toBe(
      "200 applied",
    );
  });

  it("a signature that does not match the cached secrets is not rechecked in D1 for a limited address", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const address = newAddress();
    // The endpoint's secrets now sit in this isolate's memo.
    expect(outcome(await deliverFrom(newAddress(), endpoint, provisionEvent({ alternative_id: "a" })))).toBe(
      "200 applied",
    );
    await exhaust(address);
    const spy = recordingD1(env.DB);
    const body = JSON.stringify(provisionEvent({ alternative_id: "j" }));
    const response = await call<Problem>("POST", `/v1/webhooks/${endpoint.id}`, {
      rawBody: body,
      env: { ...env, DB: spy.db },
      headers: {
        "Content-Type": "application/json",
        "CF-Connecting-IP": address,
        ...signatureHeaders(OTHER_SECRET, body),
      },
    });
    expectRateLimited(response);
    expect(spy.statements).toEqual([]);
  });
});

describe("failures are counted per network", () => {
  it("an IPv6 /64 is one network: rotating through its addresses buys no fresh budget", async () => {
    const inside = ["2001:db8:17:1::1", "2001:DB8:17:1:0:0:0:2", "2001:db8:17:1:ffff:ffff:ffff:ffff"];
    for (const address of inside) expect(outcome(await get(randomWellFormedKey(), address))).toBe("401 unauthorized");
    expectRateLimited(await get(randomWellFormedKey(), "2001:0db8:0017:0001:abcd::9"));
    // The next /64 is another network.
    expect(outcome(await get(randomWellFormedKey(), "2001:db8:17:2::1"))).toBe("401 unauthorized");
  });

  it("an IPv4-mapped IPv6 address counts as its IPv4 address", async () => {
    const address = newAddress();
    for (let i = 0; i < 3; i++) await get(randomWellFormedKey(), address);
    expectRateLimited(await get(randomWellFormedKey(), `::ffff:${address}`));
  });

  it("wrong admin tokens from one /64 count together", async () => {
    const create = (address: string) =>
      call<Problem>("POST", "/v1/organizations", {
        key: "wrong-admin-token",
        body: { name: "x" },
        headers: { "CF-Connecting-IP": address },
      });
    for (let i = 1; i <= 3; i++) expect((await create(`2001:db8:99:5::${i}`)).status).toBe(401);
    expectRateLimited(await create("2001:db8:99:5::77"));
  });

  it("normalizes every spelling of an address to its network", () => {
    expect(failingNetwork("198.51.100.7")).toBe("198.51.100.7");
    expect(failingNetwork("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(failingNetwork("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8:0:0::/64");
    expect(failingNetwork("2001:db8:a:b:c:d:e:f")).toBe("2001:db8:a:b::/64");
    expect(failingNetwork("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(failingNetwork("::")).toBe("0:0:0:0::/64");
    expect(failingNetwork("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(failingNetwork("::ffff:c633:6407")).toBe("198.51.100.7");
    expect(failingNetwork("64:ff9b::198.51.100.7")).toBe("64:ff9b:0:0::/64");
    expect(failingNetwork("unknown")).toBe("unknown");
    expect(failingNetwork("1::2::3")).toBe("1::2::3");
    expect(failingNetwork("x".repeat(100))).toHaveLength(64);
  });
});
