import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectProblem, newOrganization } from "./helpers";
import type { WebhookResult } from "./response-types";
import { d1WithSessions } from "./storage-doubles";
import { createEndpoint, JENNY, provisionEvent, signatureHeaders } from "./webhooks-helpers";

// Section 1: once a change has committed, the answer is its success response, whatever fails
// afterwards; the follow-up work is retried in the background.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("DELETE /v1/api_keys/{id} when the Cache API fails after the revocation committed", () => {
  it.each(["put", "delete"] as const)(
    "answers 200 when caches.default.%s keeps throwing; the revocation stands",
    async (method) => {
      const { key } = await newOrganization();
      const second = await call<{ id: string; secret: string }>("POST", "/v1/api_keys", { key, body: { name: "ci" } });
      expect(second.status).toBe(201);
      // The key is live and cached in this isolate and location.
      expect((await call("GET", "/v1/customers", { key: second.body.secret })).status).toBe(200);

      const failing = vi.spyOn(caches.default, method).mockRejectedValue(new Error("Cache API down (test double)"));
      const revoked = await call<{ revoked: boolean }>("DELETE", `/v1/api_keys/${second.body.id}`, { key });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ object: "api_key", id: second.body.id, revoked: true });
      // Tried before the answer, then retried in the background (finished when `call` returns).
      expect(failing.mock.calls.length).toBeGreaterThan(1);
      failing.mockRestore();

      const listed = await call<{ data: { id: string; revoked_at: string | null }[] }>("GET", "/v1/api_keys", { key });
      expect(listed.body.data.find((each) => each.id === second.body.id)?.revoked_at).not.toBeNull();
    },
  );

  it("a failed first try is retried in the background: the location stops accepting the key", async () => {
    const { key } = await newOrganization();
    const second = await call<{ id: string; secret: string }>("POST", "/v1/api_keys", { key, body: { name: "ci" } });
    expect((await call("GET", "/v1/customers", { key: second.body.secret })).status).toBe(200);
    const failing = vi.spyOn(caches.default, "delete").mockRejectedValueOnce(new Error("Cache API down (test double)"));
    expect((await call("DELETE", `/v1/api_keys/${second.body.id}`, { key })).status).toBe(200);
    expect(failing.mock.calls.length).toBeGreaterThan(2);
    expectProblem(await call("GET", "/v1/customers", { key: second.body.secret }), 401, "unauthorized");
  });
});

describe("webhook intake when recording the processed webhook-id fails", () => {
  /** A D1 whose UPDATE marking a webhook id processed fails; the claim and everything else go through. */
  function failingCompletion() {
    let completions = 0;
    const db = d1WithSessions(env.DB, (inner, name) =>
      name === "prepare"
        ? (sql: string) => {
            if (!sql.includes("SET state = 'processed'")) return inner.prepare(sql);
            completions++;
            return inner.prepare(sql.replace("UPDATE webhook_messages", "UPDATE no_such_table_in_test_double"));
          }
        : undefined,
    );
    return { db, completions: () => completions };
  }

  const deliverWith = (endpoint: { id: string; secret: string }, payload: unknown, db: D1Database) => {
    const body = JSON.stringify(payload);
    return call<WebhookResult>("POST", `/v1/webhooks/${endpoint.id}`, {
      rawBody: body,
      headers: { "Content-Type": "application/json", ...signatureHeaders(endpoint.secret, body) },
      env: { ...env, DB: db },
    });
  };

  it("an outcome that changed nothing still answers 200; recording it is retried in the background", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const failing = failingCompletion();
    const delivered = await deliverWith(endpoint, { type: "customer.unknown_kind", data: {} }, failing.db);
    expect(delivered.status, delivered.text).toBe(200);
    expect(delivered.body.status).toBe("ignored");
    expect(failing.completions()).toBeGreaterThan(1);
  });

  it("an applied event records its id in the batch that applies it: if that fails, nothing changed (503)", async () => {
    const { key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const failing = failingCompletion();
    const delivered = await deliverWith(endpoint, provisionEvent(JENNY), failing.db);
    expect(delivered.status, delivered.text).toBe(503);
    const customer = await call("GET", `/v1/customers/alternative-id/${JENNY.alternative_id}`, { key });
    expect(customer.status).toBe(404);
    // The sender's retry applies it.
    const retried = await deliverWith(endpoint, provisionEvent(JENNY), env.DB);
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe("applied");
  });
});
