import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { count, crashThenRetry, keyed } from "./crash-helpers";
import { EXAMPLE_PII } from "./fixtures";
import { type CustomerObject, call, newOrganization } from "./helpers";
import { d1DyingAfterCommit } from "./storage-doubles";
import { createEndpoint, provisionEvent, signatureHeaders } from "./webhooks-helpers";

// Issue 21: a Worker killed after a change committed, before anything else ran. The retry with
// the same Idempotency-Key (after the dead request's lock would have expired) must replay the
// answer the change committed with, never run the request a second time.

describe("a crash between the change and anything after it", () => {
  it("a create retried after the crash replays its 201: one customer", async () => {
    const { orgId, key } = await newOrganization();
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: "/v1/customers", body: EXAMPLE_PII },
      /INSERT INTO customers/,
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(retry.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(await count("customers WHERE org_id = ?1", orgId)).toBe(1);
    expect(await count("events WHERE org_id = ?1", orgId)).toBe(1);
  });

  it("a PATCH retried after the crash replays its answer: one update event", async () => {
    const { orgId, key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: EXAMPLE_PII });
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      { method: "PATCH", path: `/v1/customers/${created.body.id}`, body: { metadata: { n: 1 } } },
      /UPDATE customers SET/,
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(await count("events WHERE org_id = ?1 AND type = 'customer.updated'", orgId)).toBe(1);
  });

  it("sub-resource creates retried after the crash replay their 201: nothing stored twice", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await call<CustomerObject>("POST", "/v1/customers", { key, body: {} });
    const base = `/v1/customers/${customer.body.id}`;
    const cases = [
      {
        path: `${base}/addresses`,
        body: { line1: "1 Main St", country: "US" },
        commit: /INSERT INTO addresses/,
        table: "addresses",
      },
      {
        path: `${base}/payment_methods`,
        body: { gateway_reference: "pm_1" },
        commit: /INSERT INTO payment_methods/,
        table: "payment_methods",
      },
      {
        path: `${base}/subscriptions`,
        body: { plan_id: "pro" },
        commit: /INSERT INTO subscriptions/,
        table: "subscriptions",
      },
    ];
    for (const each of cases) {
      const { first, retry } = await crashThenRetry(
        orgId,
        key,
        { method: "POST", path: each.path, body: each.body },
        each.commit,
      );
      expect(retry.status, each.path).toBe(201);
      expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
      expect(retry.text).toBe(first.text);
      expect(await count(`${each.table} WHERE org_id = ?1`, orgId), each.table).toBe(1);
    }
  });

  it("a provision, an archive and an import retried after the crash replay their answers", async () => {
    const { orgId, key } = await newOrganization();
    const provision = await crashThenRetry(
      orgId,
      key,
      {
        method: "POST",
        path: "/v1/customers/provision",
        body: { alternative_id: "u1", subscription: { plan_id: "pro" } },
      },
      /INSERT INTO customers/,
    );
    expect(provision.retry.status).toBe(201);
    expect(provision.retry.text).toBe(provision.first.text);
    expect(await count("subscriptions WHERE org_id = ?1", orgId)).toBe(1);

    const id = (provision.first.body as { customer: { id: string } }).customer.id;
    const archive = await crashThenRetry(
      orgId,
      key,
      { method: "DELETE", path: `/v1/customers/${id}` },
      /archived_at = \?1/,
    );
    expect(archive.retry.status).toBe(200);
    expect(archive.retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(archive.retry.text).toBe(archive.first.text);
    expect(await count("events WHERE org_id = ?1 AND type = 'customer.archived'", orgId)).toBe(1);

    const items = [{ alternative_id: "i1", email: "i1@example.com" }, { alternative_id: "i2" }];
    const imported = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: "/v1/customers/import", body: { customers: items } },
      /INSERT OR IGNORE INTO customers/,
    );
    expect(imported.retry.status).toBe(200);
    expect(imported.retry.text).toBe(imported.first.text);
    expect(JSON.parse(imported.retry.text)).toMatchObject({ created: 2, updated: 0, failed: 0 });
  });

  it("webhook intake: a delivery applied before the crash is a duplicate on the sender's retry", async () => {
    const { orgId, key } = await newOrganization();
    const endpoint = await createEndpoint(key);
    const body = JSON.stringify(provisionEvent({ alternative_id: "user_1", email: "one@example.com" }));
    const headers = { "Content-Type": "application/json", ...signatureHeaders(endpoint.secret, body) };
    const dying = d1DyingAfterCommit(env.DB, /INSERT INTO customers/);
    await call("POST", `/v1/webhooks/${endpoint.id}`, { rawBody: body, headers, env: { ...env, DB: dying.db } });
    expect(dying.died()).toBe(true);
    const retry = await call<{ status: string }>("POST", `/v1/webhooks/${endpoint.id}`, { rawBody: body, headers });
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe("duplicate");
    expect(await count("customers WHERE org_id = ?1", orgId)).toBe(1);
    const recorded = await env.DB.prepare("SELECT state, result FROM webhook_messages").first<{
      state: string;
      result: string;
    }>();
    expect(recorded?.state).toBe("processed");
    expect(JSON.parse(recorded?.result ?? "{}")).toMatchObject({ status: "applied" });
  });

  it("a change whose Idempotency-Key lock was taken over does not commit", async () => {
    const { orgId, key } = await newOrganization();
    const idempotencyKey = "taken-over";
    // The request's lock is taken over (by a retry, after it went 60 s without renewing) while it runs.
    const stealing = d1DyingAfterCommit(env.DB, /^$/);
    let stolen = false;
    const db = new Proxy(stealing.db, {
      get(target, name) {
        if (name !== "withSession") return Reflect.get(target, name);
        return (start?: string) => {
          const session = target.withSession(start);
          return new Proxy(session, {
            get(inner, member) {
              if (member === "batch") {
                return async (statements: D1PreparedStatement[]) => {
                  if (!stolen) {
                    stolen = true;
                    await env.DB.prepare("UPDATE idempotency_keys SET lock_token = 'successor' WHERE org_id = ?1")
                      .bind(orgId)
                      .run();
                  }
                  return inner.batch(statements);
                };
              }
              const value = Reflect.get(inner, member);
              return typeof value === "function" ? value.bind(inner) : value;
            },
          });
        };
      },
    });
    const answer = await keyed("POST", "/v1/customers", idempotencyKey, {
      key,
      body: EXAMPLE_PII,
      env: { ...env, DB: db },
      checkDocument: false,
    });
    expect(answer.status).toBe(503);
    expect(await count("customers WHERE org_id = ?1", orgId)).toBe(0);
    expect(await count("events WHERE org_id = ?1", orgId)).toBe(0);
  });

  it("webhook endpoint writes retried after the crash replay their answers: no second endpoint", async () => {
    const { orgId, key } = await newOrganization();
    const created = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: "/v1/webhook_endpoints", body: { source: "standard" } },
      /INSERT INTO webhook_endpoints/,
    );
    expect(created.retry.status).toBe(201);
    expect(created.retry.headers.get("Idempotent-Replayed")).toBe("true");
    // Shown once: the replay says the endpoint exists, not its secret.
    expect(JSON.parse(created.retry.text)).toMatchObject({ id: JSON.parse(created.first.text).id, secret: null });
    expect(await count("webhook_endpoints WHERE org_id = ?1", orgId)).toBe(1);

    const id = JSON.parse(created.first.text).id as string;
    const rotated = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: `/v1/webhook_endpoints/${id}/rotate_secret`, body: {} },
      /UPDATE webhook_endpoints/,
    );
    expect(rotated.retry.status).toBe(200);
    expect(rotated.retry.headers.get("Idempotent-Replayed")).toBe("true");
    const removed = await crashThenRetry(
      orgId,
      key,
      { method: "DELETE", path: `/v1/webhook_endpoints/${id}` },
      /DELETE FROM webhook_endpoints/,
    );
    expect(removed.retry.status).toBe(200);
    expect(removed.retry.text).toBe(removed.first.text);
  });

  it("event destination writes retried after the crash replay their answers", async () => {
    const { orgId, key } = await newOrganization();
    const created = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: "/v1/event_destinations", body: { url: "https://example.com/hook" } },
      /INSERT INTO event_destinations/,
    );
    expect(created.retry.status).toBe(201);
    expect(created.retry.headers.get("Idempotent-Replayed")).toBe("true");
    const id = JSON.parse(created.first.text).id as string;
    expect(JSON.parse(created.retry.text)).toMatchObject({ id, secret: null });
    expect(await count("event_destinations WHERE org_id = ?1", orgId)).toBe(1);

    const path = `/v1/event_destinations/${id}`;
    const patched = await crashThenRetry(
      orgId,
      key,
      { method: "PATCH", path, body: { status: "disabled" } },
      /UPDATE event_destinations/,
    );
    expect(patched.retry.status).toBe(200);
    expect(patched.retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(patched.retry.text).toBe(patched.first.text);
    const rotated = await crashThenRetry(
      orgId,
      key,
      { method: "POST", path: `${path}/rotate_secret` },
      /UPDATE event_destinations/,
    );
    expect(rotated.retry.status).toBe(200);
    expect(rotated.retry.headers.get("Idempotent-Replayed")).toBe("true");
    const removed = await crashThenRetry(orgId, key, { method: "DELETE", path }, /DELETE FROM event_destinations/);
    expect(removed.retry.status).toBe(200);
    expect(removed.retry.text).toBe(removed.first.text);
  });

  it("a balance adjustment retried after the crash replays its 201: one transaction", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await call<CustomerObject>("POST", "/v1/customers", { key, body: {} });
    const { first, retry } = await crashThenRetry(
      orgId,
      key,
      {
        method: "POST",
        path: `/v1/customers/${customer.body.id}/balance_transactions`,
        body: { amount: 500, currency: "usd" },
      },
      /INSERT INTO balance_transactions/,
    );
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(await count("balance_transactions WHERE org_id = ?1", orgId)).toBe(1);
  });
});
