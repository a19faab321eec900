import { env } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import type { WebhookEndpointWithSecret as WebhookEndpointWithSecretSchema } from "../src/webhooks/webhooks.schemas";
import { call, expectProblem } from "./helpers";
import {
  countRows,
  createEndpoint,
  deliver,
  type Endpoint,
  getByAlternativeId,
  isoAgo,
  JENNY,
  MINUTE,
  provisionEvent,
  setup,
  signatureHeaders,
} from "./webhooks-helpers";

/** POST /v1/webhooks/{endpoint_id}: which deliveries verify (signature, timestamp, endpoint) and secret rotation. */

type WebhookEndpointWithSecret = z.infer<typeof WebhookEndpointWithSecretSchema>;

const rotate = async (key: string, endpoint: Endpoint) => {
  const response = await call<WebhookEndpointWithSecret>("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, {
    key,
  });
  expect(response.status).toBe(200);
  expect(response.body.secret).toEqual(expect.any(String));
  return response.body.secret ?? "";
};

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
