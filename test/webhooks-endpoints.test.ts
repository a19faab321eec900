import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { cleanUpWebhooks } from "../src/webhooks/cleanup";
import {
  call,
  type DeletedWebhookEndpoint,
  expectProblem,
  newOrganization,
  type WebhookEndpointList,
  type WebhookEndpointWithSecret,
} from "./helpers";
import { countRows, createEndpoint, DAY, deliver, HOUR, isoAgo, provisionEvent } from "./webhooks-helpers";

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ENDPOINT_ID = /^we_[0-9A-Z]{26}$/;
const FULL_SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;

const secretBytes = (secret: string) => atob(secret.slice("whsec_".length)).length;

describe("POST /v1/webhook_endpoints", () => {
  it("201 with the endpoint, its url and its full secret (whsec_ + base64 of 24 random bytes)", async () => {
    const { key } = await newOrganization();
    const response = await call<WebhookEndpointWithSecret>("POST", "/v1/webhook_endpoints", {
      key,
      body: { source: "clerk", description: "Clerk production" },
    });
    expect(response.status).toBe(201);
    const { id, secret } = response.body;
    expect(id).toMatch(ENDPOINT_ID);
    expect(response.body).toEqual({
      object: "webhook_endpoint",
      id,
      url: `/v1/webhooks/${id}`,
      secret,
      source: "clerk",
      description: "Clerk production",
      previous_secret_expires_at: null,
      created_at: expect.stringMatching(ISO_MS),
    });
    expect(secret).toMatch(FULL_SECRET);
    expect(secretBytes(secret ?? "")).toBe(24);
  });

  it("each endpoint gets its own id and secret; description defaults to null", async () => {
    const { key } = await newOrganization();
    const a = await call<WebhookEndpointWithSecret>("POST", "/v1/webhook_endpoints", {
      key,
      body: { source: "standard" },
    });
    const b = await call<WebhookEndpointWithSecret>("POST", "/v1/webhook_endpoints", {
      key,
      body: { source: "standard", description: null },
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body.secret).not.toBe(b.body.secret);
    expect([a.body.description, b.body.description]).toEqual([null, null]);
  });

  it.each([
    ["no source", {}, ["/source"]],
    ["an unknown source", { source: "stripe" }, ["/source"]],
    ["an unknown field", { source: "standard", url: "https://example.com/hook" }, ["/url"]],
    ["a secret without whsec_", { source: "clerk", secret: btoa("k".repeat(24)) }, ["/secret"]],
    [
      "a secret that is not base64",
      { source: "clerk", secret: "whsec_not*base64*at*all*but*long*enough" },
      ["/secret"],
    ],
    ["a secret of 16 bytes", { source: "clerk", secret: `whsec_${btoa("k".repeat(16))}` }, ["/secret"]],
    ["an empty description", { source: "standard", description: "" }, ["/description"]],
  ])("400 validation_failed for %s, and nothing is created", async (_label, body, pointers) => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/webhook_endpoints", { key, body });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(pointers);
    expect(await countRows("webhook_endpoints")).toBe(0);
  });

  it("takes a secret the sender issued (Clerk's), which then verifies deliveries", async () => {
    const { key } = await newOrganization();
    const issued = `whsec_${btoa("clerk-issued-secret-0123")}`;
    const response = await call<WebhookEndpointWithSecret>("POST", "/v1/webhook_endpoints", {
      key,
      body: { source: "standard", secret: issued },
    });
    expect(response.status).toBe(201);
    expect(response.body.secret).toBe(issued);
    const delivered = await deliver({ id: response.body.id, secret: issued }, provisionEvent({ alternative_id: "u1" }));
    expect(delivered.body.status).toBe("applied");
  });

  it("401 without an API key", async () => {
    const response = await call("POST", "/v1/webhook_endpoints", { body: { source: "standard" } });
    expectProblem(response, 401, "unauthorized");
    expect(await countRows("webhook_endpoints")).toBe(0);
  });
});

describe("GET /v1/webhook_endpoints", () => {
  it("lists this organization's endpoints newest first, secrets masked to their last four characters", async () => {
    const { key } = await newOrganization();
    const first = await createEndpoint(key, "standard");
    const second = await createEndpoint(key, "clerk");
    const response = await call<WebhookEndpointList>("GET", "/v1/webhook_endpoints", { key });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ object: "list", has_more: false, next_cursor: null });
    expect(response.body.data.map((e) => e.id)).toEqual([second.id, first.id]);
    expect(response.body.data.map((e) => e.secret)).toEqual([
      `whsec_…${second.secret.slice(-4)}`,
      `whsec_…${first.secret.slice(-4)}`,
    ]);
    expect(response.body.data[0]).toEqual({
      object: "webhook_endpoint",
      id: second.id,
      url: `/v1/webhooks/${second.id}`,
      secret: `whsec_…${second.secret.slice(-4)}`,
      source: "clerk",
      description: null,
      previous_secret_expires_at: null,
      created_at: expect.stringMatching(ISO_MS),
    });
    // Not even a longer piece of a secret is in the response.
    for (const { secret } of [first, second]) expect(response.text).not.toContain(secret.slice(6, 14));
  });

  it("shows nothing of another organization", async () => {
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    await createEndpoint(acme.key);
    const response = await call<WebhookEndpointList>("GET", "/v1/webhook_endpoints", { key: globex.key });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([]);
  });

  it("401 without an API key", async () => {
    expectProblem(await call("GET", "/v1/webhook_endpoints"), 401, "unauthorized");
  });
});

describe("DELETE /v1/webhook_endpoints/{id}", () => {
  it("200 {object, id, deleted: true}; the endpoint is gone from the list, its secret from D1, and a second DELETE is 404", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const kept = await createEndpoint(key);
    const response = await call<DeletedWebhookEndpoint>("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ object: "webhook_endpoint", id: endpoint.id, deleted: true });
    const listed = await call<WebhookEndpointList>("GET", "/v1/webhook_endpoints", { key });
    expect(listed.body.data.map((e) => e.id)).toEqual([kept.id]);
    const stored = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE secret = ?1 OR previous_secret = ?1",
    )
      .bind(endpoint.secret)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expectProblem(await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key }), 404, "not_found");
  });

  it("also forgets the webhook ids the endpoint had seen", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).status).toBe(200);
    expect(await countRows("webhook_messages")).toBe(1);
    expect((await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key })).status).toBe(200);
    expect(await countRows("webhook_messages")).toBe(0);
  });

  it("404 for another organization's endpoint, which keeps working", async () => {
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    const endpoint = await createEndpoint(acme.key);
    expectProblem(await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`, { key: globex.key }), 404, "not_found");
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).body.status).toBe("applied");
  });

  it("400 validation_failed for a malformed id (pointer #/path/id)", async () => {
    const { key } = await newOrganization();
    const response = await call("DELETE", "/v1/webhook_endpoints/nope", { key });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual(["#/path/id"]);
  });

  it("401 without an API key, and the endpoint stays", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    expectProblem(await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`), 401, "unauthorized");
    expect(await countRows("webhook_endpoints")).toBe(1);
  });
});

describe("POST /v1/webhook_endpoints/{id}/rotate_secret", () => {
  it("200 with a new full secret; the old one is previous until 24 hours from now", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const before = Date.now();
    const response = await call<WebhookEndpointWithSecret>(
      "POST",
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {
        key,
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ object: "webhook_endpoint", id: endpoint.id, source: "standard" });
    expect(response.body.secret).toMatch(FULL_SECRET);
    expect(response.body.secret).not.toBe(endpoint.secret);
    const expiresAt = Date.parse(response.body.previous_secret_expires_at ?? "");
    expect(expiresAt).toBeGreaterThanOrEqual(before + 24 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 24 * HOUR);
    const listed = await call<WebhookEndpointList>("GET", "/v1/webhook_endpoints", { key });
    expect(listed.body.data[0]?.secret).toBe(`whsec_…${response.body.secret?.slice(-4)}`);
  });

  it("takes the sender's new secret; both it and the old one verify", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const issued = `whsec_${btoa("sender-rotated-secret-01")}`;
    const response = await call<WebhookEndpointWithSecret>(
      "POST",
      `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`,
      {
        key,
        body: { secret: issued },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body.secret).toBe(issued);
    expect((await deliver({ ...endpoint, secret: issued }, provisionEvent({ alternative_id: "a" }))).body.status).toBe(
      "applied",
    );
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "b" }))).body.status).toBe("applied");
  });

  it.each([
    ["an unknown field", { expires_in: 3600 }, "/expires_in"],
    ["an unusable secret", { secret: "whsec_short" }, "/secret"],
  ])("400 validation_failed for %s, and the secret stays", async (_label, body, pointer) => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const response = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { key, body });
    const problem = expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((e) => e.pointer)).toEqual([pointer]);
    const listed = await call<WebhookEndpointList>("GET", "/v1/webhook_endpoints", { key });
    expect(listed.body.data[0]).toMatchObject({
      secret: `whsec_…${endpoint.secret.slice(-4)}`,
      previous_secret_expires_at: null,
    });
  });

  it("404 for an unknown endpoint and for another organization's", async () => {
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    const endpoint = await createEndpoint(acme.key);
    const unknown = "we_01JD7Y3M0Q6Q5D3V3B6W2K8Z1R";
    expectProblem(
      await call("POST", `/v1/webhook_endpoints/${unknown}/rotate_secret`, { key: acme.key }),
      404,
      "not_found",
    );
    expectProblem(
      await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { key: globex.key }),
      404,
      "not_found",
    );
    // The owner's secret did not change.
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "u1" }))).body.status).toBe("applied");
  });
});

describe("cleanUpWebhooks (scheduled)", () => {
  it("forgets webhook ids received more than 3 days ago and keeps younger ones", async () => {
    const insert = (messageId: string, receivedAt: string) =>
      env.DB.prepare(
        `INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
         VALUES ('we_X', ?1, 'processed', 't', ?2, ?2)`,
      )
        .bind(messageId, receivedAt)
        .run();
    await insert("old", isoAgo(3 * DAY + HOUR));
    await insert("young", isoAgo(3 * DAY - HOUR));
    const result = await cleanUpWebhooks(env.DB);
    expect(result.webhookIdsForgotten).toBe(1);
    const { results } = await env.DB.prepare("SELECT message_id FROM webhook_messages").all<{ message_id: string }>();
    expect(results.map((row) => row.message_id)).toEqual(["young"]);
  });

  it("works through more rows than one batch", async () => {
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
       INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
       SELECT 'we_X', 'msg_' || i, 'processed', 't', ?1, ?1 FROM n`,
    )
      .bind(isoAgo(4 * DAY))
      .run();
    expect(await cleanUpWebhooks(env.DB)).toMatchObject({ webhookIdsForgotten: 1200, webhookIdsBacklog: 0 });
    expect(await countRows("webhook_messages")).toBe(0);
  });

  it("runs as part of the Worker's scheduled handler", async () => {
    await env.DB.prepare(
      `INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
       VALUES ('we_X', 'old', 'processed', 't', ?1, ?1)`,
    )
      .bind(isoAgo(4 * DAY))
      .run();
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "*/30 * * * *" });
    await worker.scheduled(controller, env);
    expect(await countRows("webhook_messages")).toBe(0);
  });

  it("erases previous secrets whose 24 hours are over, and only those", async () => {
    const { key } = await newOrganization();
    const expired = await createEndpoint(key);
    const current = await createEndpoint(key);
    await call("POST", `/v1/webhook_endpoints/${expired.id}/rotate_secret`, { key });
    await call("POST", `/v1/webhook_endpoints/${current.id}/rotate_secret`, { key });
    await env.DB.prepare("UPDATE webhook_endpoints SET previous_secret_expires_at = ?2 WHERE id = ?1")
      .bind(expired.id, isoAgo(1000))
      .run();
    const result = await cleanUpWebhooks(env.DB);
    expect(result.previousSecretsErased).toBe(1);
    const { results } = await env.DB.prepare(
      "SELECT id, previous_secret IS NOT NULL AS has_previous FROM webhook_endpoints ORDER BY id",
    ).all<{ id: string; has_previous: number }>();
    expect(Object.fromEntries(results.map((row) => [row.id, row.has_previous]))).toEqual({
      [expired.id]: 0,
      [current.id]: 1,
    });
  });
});

/** The parts of /v1/openapi.json these tests read. */
type ServedDocument = {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
        requestBody?: { content: Record<string, { schema: { anyOf?: { $ref: string }[] } }> };
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
};

describe("documentation", () => {
  it("the OpenAPI document has every webhook path with exactly its methods", async () => {
    const { body } = await call<ServedDocument>("GET", "/v1/openapi.json");
    const methods = (path: string) => Object.keys(body.paths[path] ?? {}).sort();
    expect(methods("/v1/webhook_endpoints")).toEqual(["get", "post"]);
    expect(methods("/v1/webhook_endpoints/{id}")).toEqual(["delete"]);
    expect(methods("/v1/webhook_endpoints/{id}/rotate_secret")).toEqual(["post"]);
    expect(methods("/v1/webhooks/{endpoint_id}")).toEqual(["post"]);
  });

  it("intake needs no API key and declares 200, its 401 codes, 404 and 413", async () => {
    const { body } = await call<ServedDocument>("GET", "/v1/openapi.json");
    const intake = body.paths["/v1/webhooks/{endpoint_id}"]?.post;
    expect(intake?.security).toEqual([]);
    expect(Object.keys(intake?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "401", "404", "413", "415"]),
    );
    expect(intake?.responses["401"]?.description).toContain("webhook_signature_invalid");
    expect(intake?.responses["401"]?.description).toContain("webhook_timestamp_out_of_range");
    expect(intake?.responses["200"]?.content?.["application/json"]?.schema.$ref).toBe(
      "#/components/schemas/WebhookResult",
    );
    const documented = intake?.requestBody?.content["application/json"]?.schema.anyOf?.map((s) => s.$ref);
    expect(documented?.length).toBeGreaterThan(0);
    for (const ref of documented ?? []) expect(body.components.schemas[ref.split("/").pop() ?? ""]).toBeDefined();
  });

  it("the endpoint routes declare their success statuses and 401", async () => {
    const { body } = await call<ServedDocument>("GET", "/v1/openapi.json");
    const responses = (method: string, path: string) => Object.keys(body.paths[path]?.[method]?.responses ?? {});
    expect(responses("post", "/v1/webhook_endpoints")).toEqual(expect.arrayContaining(["201", "401"]));
    expect(responses("get", "/v1/webhook_endpoints")).toEqual(expect.arrayContaining(["200", "401"]));
    expect(responses("delete", "/v1/webhook_endpoints/{id}")).toEqual(expect.arrayContaining(["200", "401", "404"]));
    expect(responses("post", "/v1/webhook_endpoints/{id}/rotate_secret")).toEqual(
      expect.arrayContaining(["200", "401", "404"]),
    );
  });

  it.each(["webhook_signature_invalid", "webhook_timestamp_out_of_range"])(
    "/docs/problems lists %s with status 401",
    async (code) => {
      const { text } = await call("GET", "/docs/problems");
      expect(text).toMatch(new RegExp(`<tr id="${code}">.*?<td>401</td>`));
    },
  );
});
