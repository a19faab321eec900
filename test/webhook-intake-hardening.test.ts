import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ENDPOINT_SECRETS_TTL_MS } from "../src/webhooks/endpoint-secrets-cache";
import { recordingD1, unreachableD1 } from "./d1-spy";
import {
  type CustomerObject,
  call,
  expectProblem,
  newOrganization,
  type WebhookEndpointWithSecret,
  type WebhookResult,
} from "./helpers";
import {
  clerkUserEvent,
  countRows,
  createEndpoint,
  deliver,
  type Endpoint,
  HOUR,
  MINUTE,
  provisionEvent,
  signatureHeaders,
} from "./webhooks-helpers";

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A signed delivery run against `testEnv` (a recording or failing D1, a missing secret). `T`: the
 * body the test reads, the intake's result by default; a problem is read through `expectProblem`.
 */
function deliverWith<T = WebhookResult>(
  testEnv: Env,
  endpoint: { id: string; secret: string },
  payload: unknown,
  secret = endpoint.secret,
) {
  const body = JSON.stringify(payload);
  return call<T>("POST", `/v1/webhooks/${endpoint.id}`, {
    env: testEnv,
    rawBody: body,
    headers: { "Content-Type": "application/json", ...signatureHeaders(secret, body) },
  });
}

const endpointReads = (statements: string[]) => statements.filter((sql) => /FROM webhook_endpoints/i.test(sql)).length;
const UNKNOWN_ENDPOINT = { id: "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };

describe("ALTERNATIVE_ID_HASH_KEY is required for webhooks", () => {
  const withoutKey = () => ({ ...env, ALTERNATIVE_ID_HASH_KEY: undefined });

  it("creating an endpoint without it is 503 configuration_missing naming the secret, nothing written", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/webhook_endpoints", {
      key,
      body: { source: "standard" },
      env: withoutKey(),
    });
    const problem = expectProblem(response, 503, "configuration_missing");
    expect(problem.detail).toContain("ALTERNATIVE_ID_HASH_KEY");
    expect(await countRows("webhook_endpoints")).toBe(0);
  });

  it("intake without it is 503 configuration_missing, nothing written", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const response = await deliverWith(withoutKey(), endpoint, provisionEvent({ alternative_id: "user_1" }));
    const problem = expectProblem(response, 503, "configuration_missing");
    expect(problem.detail).toContain("ALTERNATIVE_ID_HASH_KEY");
    expect(await countRows("customers")).toBe(0);
    expect(await countRows("webhook_messages")).toBe(0);
  });
});

describe("event times", () => {
  const firstName = async (key: string, alternativeId: string) =>
    (await call<CustomerObject>("GET", `/v1/customers/alternative-id/${alternativeId}`, { key })).body.first_name;

  it("a standard event more than 5 minutes in the future counts as now: it cannot make later events stale", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const future = new Date(Date.now() + HOUR).toISOString();
    const first = await deliver(endpoint, provisionEvent({ alternative_id: "u1", first_name: "Future" }, future));
    expect(first.body.status).toBe("applied");
    const later = new Date(Date.now() + MINUTE).toISOString();
    const second = await deliver(endpoint, provisionEvent({ alternative_id: "u1", first_name: "Later" }, later));
    expect(second.body.status).toBe("applied");
    expect(await firstName(key, "u1")).toBe("Later");
  });

  it("a Clerk updated_at in microseconds counts as now, not as a time that sorts before real ones", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key, "clerk");
    const real = clerkUserEvent("user.updated", { id: "user_a", first_name: "Real", updatedAt: Date.now() - 10_000 });
    expect((await deliver(endpoint, real)).body.status).toBe("applied");
    const micro = clerkUserEvent("user.updated", { id: "user_a", first_name: "Micro", updatedAt: Date.now() * 1000 });
    expect((await deliver(endpoint, micro)).body.status).toBe("applied");
    expect(await firstName(key, "user_a")).toBe("Micro");
    const older = clerkUserEvent("user.updated", { id: "user_a", first_name: "Old", updatedAt: Date.now() - 60_000 });
    expect((await deliver(endpoint, older)).body.status).toBe("stale");
  });
});

describe("intake reads endpoints from an isolate cache", () => {
  it("a malformed endpoint id is 404 without touching storage", async () => {
    const response = await deliverWith(
      { ...env, DB: unreachableD1(env.DB) },
      { ...UNKNOWN_ENDPOINT, id: "we_nope" },
      {},
    );
    expectProblem(response, 404, "not_found");
  });

  it("an unknown endpoint id is read from D1 once, then remembered", async () => {
    const recording = recordingD1(env.DB);
    for (let i = 0; i < 3; i++) {
      expectProblem(await deliverWith({ ...env, DB: recording.db }, UNKNOWN_ENDPOINT, {}), 404, "not_found");
    }
    expect(endpointReads(recording.statements)).toBe(1);
  });

  it("a known endpoint's secrets are read from D1 once for many deliveries", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const recording = recordingD1(env.DB);
    for (let i = 0; i < 3; i++) {
      const response = await deliverWith(
        { ...env, DB: recording.db },
        endpoint,
        provisionEvent({ alternative_id: `u${i}` }),
      );
      expect(response.body.status).toBe("applied");
    }
    expect(endpointReads(recording.statements)).toBe(1);
  });

  it("rotation and deletion through the API take effect at once in this isolate", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).body.status).toBe("applied");
    const rotated = await call<WebhookEndpointWithSecret>(
      "POST",
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {
        key,
      },
    );
    expect(
      (await deliver({ ...endpoint, secret: rotated.body.secret! }, provisionEvent({ alternative_id: "u2" }))).body
        .status,
    ).toBe("applied");
    expect((await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key })).status).toBe(200);
    expectProblem(await deliver(endpoint, provisionEvent({ alternative_id: "u3" })), 404, "not_found");
  });

  it("a secret rotated elsewhere verifies at once: a mismatch asks D1 again", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).body.status).toBe("applied");
    const newSecret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    await env.DB.prepare("UPDATE webhook_endpoints SET secret = ?1 WHERE id = ?2").bind(newSecret, endpoint.id).run();
    expect(
      (await deliver({ ...endpoint, secret: newSecret }, provisionEvent({ alternative_id: "u2" }))).body.status,
    ).toBe("applied");
  });

  it(`an endpoint deleted elsewhere stops verifying within ${ENDPOINT_SECRETS_TTL_MS / 1000} s`, async () => {
    const { key } = await newOrganization();
    const endpoint: Endpoint = await createEndpoint(key);
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).body.status).toBe("applied");
    await env.DB.prepare("DELETE FROM webhook_endpoints WHERE id = ?1").bind(endpoint.id).run();
    vi.setSystemTime(start + ENDPOINT_SECRETS_TTL_MS - 1);
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u2" }))).status).not.toBe(404);
    vi.setSystemTime(start + ENDPOINT_SECRETS_TTL_MS);
    expectProblem(await deliver(endpoint, provisionEvent({ alternative_id: "u3" })), 404, "not_found");
    expect(ENDPOINT_SECRETS_TTL_MS).toBeLessThanOrEqual(10_000);
  });
});
