import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { WebhookResult } from "../src/webhooks/webhooks.schemas";
import { expectProblem, type Problem } from "./helpers";
import {
  countRows,
  createEndpoint,
  deliver,
  getByAlternativeId,
  isoAgo,
  JENNY,
  MINUTE,
  newMessageId,
  provisionEvent,
  setup,
} from "./webhooks-helpers";

/** POST /v1/webhooks/{endpoint_id}: a webhook id is applied once per endpoint, whatever the retries and races. */

afterEach(() => {
  vi.restoreAllMocks();
});

describe("deduplication", () => {
  it("a redelivery of a webhook id answers duplicate and applies nothing again", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    const event = provisionEvent(JENNY, new Date().toISOString());
    const first = await deliver(endpoint, event, { id });
    expect(first.body.status).toBe("applied");
    const before = await getByAlternativeId(key, "user_jenny");
    // A retry is signed anew (new webhook-timestamp) with the same id.
    const retry = await deliver(endpoint, event, { id, at: new Date(Date.now() - MINUTE) });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ status: "duplicate" });
    // Even a different body under an already-processed id changes nothing.
    const changed = await deliver(endpoint, provisionEvent({ ...JENNY, first_name: "Changed" }), { id });
    expect(changed.body).toEqual({ status: "duplicate" });
    const after = await getByAlternativeId(key, "user_jenny");
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("ETag")).toBe(before.headers.get("ETag"));
  });

  it("webhook ids are per endpoint: the same id on two endpoints is applied on each", async () => {
    const { key, endpoint } = await setup();
    const other = await createEndpoint(key);
    const id = newMessageId();
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "a" }), { id })).body.status).toBe("applied");
    expect((await deliver(other, provisionEvent({ alternative_id: "b" }), { id })).body.status).toBe("applied");
    expect(await countRows("customers")).toBe(2);
  });

  it("50 concurrent deliveries of one webhook id: applied exactly once; the others duplicate or in progress", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    const event = provisionEvent({ ...JENNY, subscription: { plan_id: "pro" } }, new Date().toISOString());
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => deliver<WebhookResult | Problem>(endpoint, event, { id })),
    );
    // A 200 is a result; anything else a problem (which has a code).
    const outcomes = responses.map((r) => ("code" in r.body ? `${r.status} ${r.body.code}` : r.body.status));
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "applied" && o !== "duplicate" && o !== "409 webhook_in_progress")).toEqual([]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    }
    expect(await countRows("customers")).toBe(1);
    const customer = await getByAlternativeId(key, "user_jenny");
    // One write: created at version 1 and never touched again.
    expect(customer.headers.get("ETag")).toMatch(/-1"$/);
    const subscriptions = await env.DB.prepare("SELECT COUNT(*) AS n FROM subscriptions").first<{ n: number }>();
    expect(subscriptions?.n).toBe(1);
    const messages = await env.DB.prepare("SELECT state FROM webhook_messages").all<{ state: string }>();
    expect(messages.results).toEqual([{ state: "processed" }]);
  });

  it("a failure worth retrying (storage down) releases the claim: 503, then the retry applies", async () => {
    const { key, endpoint } = await setup();
    const id = newMessageId();
    // Requests run in sessions (lib/db.ts): the outage is injected into every session taken.
    const withSession = env.DB.withSession.bind(env.DB);
    const spy = vi.spyOn(env.DB, "withSession").mockImplementation((start) => {
      const session = withSession(start);
      return new Proxy(session, {
        get(inner, name) {
          if (name === "prepare") {
            return (sql: string) => {
              if (/INSERT INTO customers/.test(sql)) throw new Error("D1_ERROR: injected outage");
              return inner.prepare(sql);
            };
          }
          const member = Reflect.get(inner, name);
          return typeof member === "function" ? member.bind(inner) : member;
        },
      });
    });
    const failed = await deliver(endpoint, provisionEvent(JENNY), { id });
    expectProblem(failed, 503, "storage_unavailable");
    expect(await countRows("webhook_messages")).toBe(0);
    spy.mockRestore();
    const retry = await deliver(endpoint, provisionEvent(JENNY), { id });
    expect(retry.body.status).toBe("applied");
    expect((await getByAlternativeId(key, "user_jenny")).status).toBe(200);
  });

  it("a claim left 'processing' by a Worker that died is taken over after a minute, not before", async () => {
    const { endpoint } = await setup();
    const id = newMessageId();
    const abandon = (claimedAt: string) =>
      env.DB.prepare(
        `INSERT INTO webhook_messages (endpoint_id, message_id, state, claim_token, claimed_at, received_at)
         VALUES (?1, ?2, 'processing', 'dead', ?3, ?3)
         ON CONFLICT DO UPDATE SET claimed_at = excluded.claimed_at`,
      )
        .bind(endpoint.id, id, claimedAt)
        .run();
    await abandon(isoAgo(10_000));
    const inProgress = await deliver(endpoint, provisionEvent(JENNY), { id });
    expectProblem(inProgress, 409, "webhook_in_progress");
    expect(inProgress.headers.get("Retry-After")).toBe("5");
    expect(await countRows("customers")).toBe(0);
    await abandon(isoAgo(2 * MINUTE));
    expect((await deliver(endpoint, provisionEvent(JENNY), { id })).body.status).toBe("applied");
  });

  it("ignores Idempotency-Key: two events with the same key are both applied", async () => {
    const { endpoint } = await setup();
    const headers = { "Idempotency-Key": "same-key" };
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "a" }), { headers })).body.status).toBe("applied");
    expect((await deliver(endpoint, provisionEvent({ alternative_id: "b" }), { headers })).body.status).toBe("applied");
    expect(await countRows("customers")).toBe(2);
  });
});
