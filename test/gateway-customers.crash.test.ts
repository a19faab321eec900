import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { type CallOptions, call, createCustomer, customerPath, newOrganization } from "./helpers";
import { configureTestGateway, count } from "./money-helpers";
import { d1DyingAfterCommit } from "./storage-doubles";

/**
 * Issue 21 for the gateway options' write paths (spec sections 5 and 11): a Worker killed right
 * after the change committed; the retry with the same Idempotency-Key replays the answer kept
 * in that change's batch, and nothing is written (or asked of the gateway's effects) twice.
 */

async function crashThenRetry(
  orgId: string,
  key: string,
  request: { method: string; path: string; body?: unknown },
  commit: RegExp,
) {
  const idempotencyKey = `crash-${crypto.randomUUID()}`;
  const headers = { "Idempotency-Key": idempotencyKey };
  const dying = d1DyingAfterCommit(env.DB, commit);
  const options: CallOptions = { key, body: request.body, checkDocument: false, headers };
  const first = await call(request.method, request.path, { ...options, env: { ...env, DB: dying.db } });
  expect(dying.died()).toBe(true);
  // The dead request's lock, 60 s later: expired, so the retry may take it over.
  await env.DB.prepare(
    "UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE org_id = ?1 AND key_hash = ?2 AND state = 'running'",
  )
    .bind(orgId, await sha256Hex(idempotencyKey))
    .run();
  const retry = await call(request.method, request.path, options);
  return { first, retry };
}

describe("a crash right after a gateway option's change committed", () => {
  it("a PATCH that links and imports replays its answer: the cards imported once", async () => {
    const { orgId, key } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key);
    const { retry } = await crashThenRetry(
      orgId,
      key,
      {
        method: "PATCH",
        path: customerPath(customer.id),
        body: { gateway_customer_reference: "gcus_test_with_cards", import_payment_methods: true },
      },
      /UPDATE customers SET/,
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body).toMatchObject({
      has_payment_method: true,
      billing: { customer_reference: "gcus_test_with_cards" },
    });
    const read = await call("GET", customerPath(customer.id), { key });
    expect(retry.body).toEqual(read.body);
    expect(retry.headers.get("ETag")).toBe(read.headers.get("ETag"));
    expect(await count("payment_methods", "org_id = ?1", orgId)).toBe(2);
    expect(await count("events", "org_id = ?1 AND type = 'payment_method.created'", orgId)).toBe(2);
  });

  it("a payment method added with the gateway replays its 201: one payment method, one link", async () => {
    const { orgId, key } = await newOrganization();
    await configureTestGateway(key);
    const customer = await createCustomer(key);
    const { retry } = await crashThenRetry(
      orgId,
      key,
      {
        method: "POST",
        path: `${customerPath(customer.id)}/payment_methods`,
        body: { gateway: "test", gateway_reference: "pm_card_amex" },
      },
      /INSERT INTO payment_methods/,
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body).toMatchObject({ brand: "amex", last4: "8431" });
    expect(await count("payment_methods", "org_id = ?1", orgId)).toBe(1);
    expect(await count("gateway_customers", "org_id = ?1", orgId)).toBe(1);
    const billing = (await call<{ billing: unknown }>("GET", customerPath(customer.id), { key })).body.billing;
    expect(billing).toMatchObject({ gateway: "test", sync_status: "synced" });
  });
});
