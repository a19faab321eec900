import { describe, expect, it } from "vitest";
import { count, crashThenRetry } from "./crash-helpers";
import { orgWithDelivery } from "./events-helpers";
import { call, newOrganization } from "./helpers";
import { CREDIT_PATH, configureTestGateway, creditBody, moneySetup } from "./money-helpers";
import type { ReplayResult } from "./response-types";

// Issue 21, the writes whose answer needed more than a prediction: a replay (its count and
// where it stopped are known only to its batch), the gateway configuration, and a credit (its
// outcome is recorded after the gateway answered). Each is retried after the Worker "died"
// right after its batch committed: the retry replays the answer that batch kept.

describe("a crash right after the change, then the retry", () => {
  it("a replay replays its 202 (built and kept by its own batch), not a 429 or a second replay", async () => {
    const { orgId, key, destination } = await orgWithDelivery();
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      {
        method: "POST",
        path: `/v1/event_destinations/${destination.id}/replay`,
        body: { since: "2020-01-01T00:00:00Z" },
      },
      /last_replay_deliveries = \(/,
    );
    expect(first.status).toBe(202);
    expect(JSON.parse(first.text) as ReplayResult).toEqual({
      object: "event_destination_replay",
      destination_id: destination.id,
      since: "2020-01-01T00:00:00.000Z",
      deliveries_created: 1,
      has_more: false,
      next_since: null,
    });
    expect(retry.status).toBe(202);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    // The original delivery and the replay's one: no second replay.
    expect(await count("event_deliveries WHERE org_id = ?1", orgId)).toBe(2);
  });

  it("a gateway PUT and DELETE replay their 200s: the DELETE is not answered 404", async () => {
    const { orgId, key } = await newOrganization();
    const put = await crashThenRetry(
      orgId,
      key,
      { method: "PUT", path: "/v1/payment_gateway", body: { type: "test" } },
      /INSERT INTO payment_gateways/,
    );
    expect(put.first.status).toBe(200);
    expect(put.retry.status).toBe(200);
    expect(put.retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(put.retry.text).toBe(put.first.text);

    const removed = await crashThenRetry(
      orgId,
      key,
      { method: "DELETE", path: "/v1/payment_gateway" },
      /DELETE FROM payment_gateways/,
    );
    expect(removed.first.status).toBe(200);
    expect(removed.retry.status).toBe(200);
    expect(removed.retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(removed.retry.text).toBe(removed.first.text);
    expect(await count("payment_gateways WHERE org_id = ?1", orgId)).toBe(0);
  });

  it("a credit replays its 201: one charge, one balance transaction", async () => {
    const { orgId, key, customer, card } = await moneySetup();
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: CREDIT_PATH, body: creditBody(customer.id, card.id, 1200) },
      /INSERT INTO balance_transactions/,
    );
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(await count("charges WHERE org_id = ?1", orgId)).toBe(1);
    expect(await count("balance_transactions WHERE org_id = ?1", orgId)).toBe(1);
  });

  it("a declined credit replays its 402 problem, request id and all", async () => {
    const { orgId, key, customer, card } = await moneySetup("pm_card_chargeDeclinedInsufficientFunds");
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: CREDIT_PATH, body: creditBody(customer.id, card.id) },
      /UPDATE charges SET status/,
    );
    expect(first.status).toBe(402);
    expect(JSON.parse(first.text)).toMatchObject({ code: "payment_failed", decline_code: "insufficient_funds" });
    expect(retry.status).toBe(402);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("Content-Type")).toBe("application/problem+json");
    expect(retry.text).toBe(first.text);
    expect(await count("charges WHERE org_id = ?1 AND status = 'failed'", orgId)).toBe(1);
  });
});

describe("without a crash, the kept answer is the one sent", () => {
  it("a replay with an Idempotency-Key replays the same text", async () => {
    const { key, destination } = await orgWithDelivery();
    const options = { key, body: { since: "2020-01-01T00:00:00Z" }, headers: { "Idempotency-Key": "replay-once" } };
    const path = `/v1/event_destinations/${destination.id}/replay`;
    const sent = await call("POST", path, options);
    const again = await call("POST", path, options);
    expect(sent.status).toBe(202);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.text).toBe(sent.text);
  });

  it("a second gateway PUT of the same configuration keeps created_at and answers it", async () => {
    const { key } = await newOrganization();
    await configureTestGateway(key);
    const options = { key, body: { type: "test" }, headers: { "Idempotency-Key": "gateway-again" } };
    const sent = await call<{ created_at: string; updated_at: string }>("PUT", "/v1/payment_gateway", options);
    const again = await call("PUT", "/v1/payment_gateway", options);
    expect(sent.body.created_at < sent.body.updated_at || sent.body.created_at === sent.body.updated_at).toBe(true);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.text).toBe(sent.text);
  });
});
