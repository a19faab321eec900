import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ApiKeyList, type ApiKeyWithSecret, call, newOrganization, type Problem } from "./helpers";
import { cachedReplay, customerCount, keyed, keyRow, makeRunning, PROFILE } from "./idempotency-helpers";

/** A key held by a running request (409, dead locks, a herd on one key), and the responses no key keeps. */

describe("locks and concurrency", () => {
  it("the same key while the first request is still running is 409 idempotency_request_in_progress", async () => {
    const { orgId, key } = await newOrganization();
    await keyed("POST", "/v1/customers", "busy", { key, body: { name: "A" } });
    await makeRunning(orgId, "busy", 59_000);
    const response = await keyed<Problem>("POST", "/v1/customers", "busy", { key, body: { name: "A" } });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe("idempotency_request_in_progress");
    // Another fingerprint is a reuse whatever the first request's state.
    const reused = await keyed("POST", "/v1/customers", "busy", { key, body: { name: "B" } });
    expect(reused.status).toBe(422);
    expect(await customerCount(orgId)).toBe(1);
  });

  it("a lock older than 60 seconds is dead: the next request takes it over and runs", async () => {
    const { orgId, key } = await newOrganization();
    await keyed("POST", "/v1/customers", "dead", { key, body: { name: "A" } });
    await makeRunning(orgId, "dead", 61_000);
    const before = await keyRow(orgId, "dead");
    const response = await keyed("POST", "/v1/customers", "dead", { key, body: { name: "A" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerCount(orgId)).toBe(2);
    const after = await keyRow(orgId, "dead");
    expect(after?.state).toBe("completed");
    expect(after?.lock_token).not.toBe(before?.lock_token);
    const replay = await keyed("POST", "/v1/customers", "dead", { key, body: { name: "A" } });
    expect(replay.text).toBe(response.text);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("20 concurrent requests with one key run once; the others are 409 or a replay", async () => {
    const { orgId, key } = await newOrganization();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => keyed<Problem>("POST", "/v1/customers", "herd", { key, body: PROFILE })),
    );
    expect(await customerCount(orgId)).toBe(1);
    const ran = responses.filter((r) => r.status === 201 && r.headers.get("Idempotent-Replayed") === null);
    expect(ran).toHaveLength(1);
    for (const response of responses) {
      if (response === ran[0]) continue;
      if (response.status === 409) expect(response.body.code).toBe("idempotency_request_in_progress");
      else {
        expect(response.status).toBe(201);
        expect(response.headers.get("Idempotent-Replayed")).toBe("true");
        expect(response.text).toBe(ran[0]?.text);
      }
    }
    const later = await keyed("POST", "/v1/customers", "herd", { key, body: PROFILE });
    expect(later.text).toBe(ran[0]?.text);
  });
});

describe("responses that are not kept", () => {
  it("a 5xx releases the key: the retry runs for real", async () => {
    const { orgId, key } = await newOrganization();
    await env.DB.prepare(
      "CREATE TRIGGER fail_customer_insert BEFORE INSERT ON customers BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    ).run();
    const failed = await keyed("POST", "/v1/customers", "flaky", { key, body: { name: "A" } });
    expect(failed.status).toBe(503);
    expect(await keyRow(orgId, "flaky")).toBeNull();
    expect(await cachedReplay(orgId, "flaky")).toBeNull();

    await env.DB.prepare("DROP TRIGGER fail_customer_insert").run();
    const retried = await keyed("POST", "/v1/customers", "flaky", { key, body: { name: "A" } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerCount(orgId)).toBe(1);
  });

  it("a new API key's secret is shown once: a replay has the key without its secret, and no copy is kept", async () => {
    const { orgId, key } = await newOrganization();
    const created = await keyed<ApiKeyWithSecret>("POST", "/v1/api_keys", "new-key", { key, body: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^rk_/);
    const again = await keyed<ApiKeyWithSecret>("POST", "/v1/api_keys", "new-key", { key, body: { name: "ci" } });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual({ ...created.body, secret: null });
    expect((await keyRow(orgId, "new-key"))?.body).not.toContain(created.body.secret);
    expect(await cachedReplay(orgId, "new-key")).not.toContain(created.body.secret);
    const keys = await call<ApiKeyList>("GET", "/v1/api_keys", { key });
    expect(keys.body.data).toHaveLength(2);
  });
});
