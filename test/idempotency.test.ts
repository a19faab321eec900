import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestFingerprint } from "../src/idempotency/fingerprint";
import { parseIdempotencyKey } from "../src/idempotency/header";
import {
  completeKey,
  findIdempotencyKey,
  type IdempotencyKeyRow,
  insertLock,
} from "../src/idempotency/idempotency.repository";
import { keepableResponse } from "../src/idempotency/kept-response";
import { cacheReplay } from "../src/idempotency/replay-cache";
import { sha256Hex } from "../src/lib/crypto";
import { ApiError } from "../src/lib/errors";
import { kvKeys } from "../src/lib/kv-keys";
import { EXAMPLE_PII, PII_FIELDS, PII_VALUES } from "./fixtures";
import { type CallOptions, call, newOrganization } from "./helpers";

const PROFILE = {
  ...EXAMPLE_PII,
  language: "en",
  metadata: { plan: "pro" },
};

/** One request with an Idempotency-Key. */
function keyed(method: string, path: string, idempotencyKey: string, options: CallOptions = {}) {
  return call(method, path, { ...options, headers: { ...options.headers, "Idempotency-Key": idempotencyKey } });
}

async function keyRow(orgId: string, idempotencyKey: string): Promise<IdempotencyKeyRow | null> {
  return findIdempotencyKey(env.DB, orgId, await sha256Hex(idempotencyKey));
}

async function replayCacheKey(orgId: string, idempotencyKey: string): Promise<string> {
  return kvKeys.idempotentReplay(orgId, await sha256Hex(idempotencyKey));
}

async function cachedReplay(orgId: string, idempotencyKey: string): Promise<string | null> {
  return env.KV.get(await replayCacheKey(orgId, idempotencyKey));
}

async function customerCount(orgId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE org_id = ?1")
    .bind(orgId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

async function keyRowCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys").first<{ n: number }>();
  return row?.n ?? -1;
}

/**
 * Turns a completed key back into a lock taken `ageMs` ago whose request has not finished
 * (what a Worker that died mid-request leaves), and empties the replay cache for it.
 */
async function makeRunning(orgId: string, idempotencyKey: string, ageMs: number): Promise<void> {
  const lockedAt = Date.now() - ageMs;
  await env.DB.prepare(
    `UPDATE idempotency_keys SET state = 'running', completed_at = NULL, status = NULL, headers = NULL, body = NULL,
       customer_id = NULL, pii_path = NULL, locked_at = ?3, expires_at = ?4
     WHERE org_id = ?1 AND key_hash = ?2`,
  )
    .bind(
      orgId,
      await sha256Hex(idempotencyKey),
      new Date(lockedAt).toISOString(),
      new Date(lockedAt + 60_000).toISOString(),
    )
    .run();
  await env.KV.delete(await replayCacheKey(orgId, idempotencyKey));
}

describe("first use and replay", () => {
  it("replays a create byte for byte, with its Location and ETag, and creates one customer", async () => {
    const { orgId, key } = await newOrganization();
    const first = await keyed("POST", "/v1/customers", "create-1", { key, body: PROFILE });
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    const again = await keyed("POST", "/v1/customers", "create-1", { key, body: PROFILE });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(again.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(again.headers.get("Content-Type")).toBe(first.headers.get("Content-Type"));
    expect(again.headers.get("X-Request-Id")).toMatch(/^req_/);
    expect(await customerCount(orgId)).toBe(1);
  });

  it("replays PATCH, PUT and DELETE with the response they first gave, not a new run", async () => {
    const { key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: { name: "Ann" } });
    const path = `/v1/customers/${created.body.id}`;

    const patched = await keyed("PATCH", path, "patch-1", { key, body: { name: "Bea" } });
    expect(patched.status).toBe(200);
    // The customer changes after the PATCH: a replay still shows the PATCH's own result.
    await call("PATCH", path, { key, body: { name: "Cid" } });
    const patchedAgain = await keyed("PATCH", path, "patch-1", { key, body: { name: "Bea" } });
    expect(patchedAgain.status).toBe(200);
    expect(patchedAgain.text).toBe(patched.text);
    expect(patchedAgain.headers.get("ETag")).toBe(patched.headers.get("ETag"));
    expect(patchedAgain.headers.get("Idempotent-Replayed")).toBe("true");

    const put = await keyed("PUT", path, "put-1", { key, body: { name: "Dee" } });
    expect(put.status).toBe(200);
    await call("PATCH", path, { key, body: { name: "Eve" } });
    const putAgain = await keyed("PUT", path, "put-1", { key, body: { name: "Dee" } });
    expect(putAgain.text).toBe(put.text);
    expect(putAgain.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await call("GET", path, { key })).body.name).toBe("Eve");

    const archived = await keyed("DELETE", path, "delete-1", { key });
    expect(archived.status).toBe(200);
    const archivedAgain = await keyed("DELETE", path, "delete-1", { key });
    expect(archivedAgain.status).toBe(200);
    expect(archivedAgain.text).toBe(archived.text);
    expect(archivedAgain.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("keeps final 4xx answers, validation failures included", async () => {
    const { orgId, key } = await newOrganization();
    const invalid = await keyed("POST", "/v1/customers", "bad-1", { key, body: { email: "not an email" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe("validation_failed");
    const invalidAgain = await keyed("POST", "/v1/customers", "bad-1", { key, body: { email: "not an email" } });
    expect(invalidAgain.status).toBe(400);
    expect(invalidAgain.text).toBe(invalid.text);
    expect(invalidAgain.headers.get("Idempotent-Replayed")).toBe("true");

    // A 404 is kept too: once the customer exists, the same key still answers what it answered.
    const missing = await keyed("PATCH", "/v1/customers/later", "missing-1", { key, body: { name: "x" } });
    expect(missing.status).toBe(404);
    await call("POST", "/v1/customers", { key, body: { id: "later" } });
    const missingAgain = await keyed("PATCH", "/v1/customers/later", "missing-1", { key, body: { name: "x" } });
    expect(missingAgain.status).toBe(404);
    expect(missingAgain.text).toBe(missing.text);
    expect(missingAgain.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await customerCount(orgId)).toBe(1);
  });

  it("without the header, requests run every time and nothing is recorded", async () => {
    const { orgId, key } = await newOrganization();
    const first = await call("POST", "/v1/customers", { key, body: { name: "A" } });
    const second = await call("POST", "/v1/customers", { key, body: { name: "A" } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerCount(orgId)).toBe(2);
    expect(await keyRowCount()).toBe(0);
  });

  it("a key is scoped to its organization", async () => {
    const acme = await newOrganization("Acme");
    const globex = await newOrganization("Globex");
    const inAcme = await keyed("POST", "/v1/customers", "shared-key", { key: acme.key, body: { name: "A" } });
    const inGlobex = await keyed("POST", "/v1/customers", "shared-key", { key: globex.key, body: { name: "A" } });
    expect(inAcme.status).toBe(201);
    expect(inGlobex.status).toBe(201);
    expect(inGlobex.headers.get("Idempotent-Replayed")).toBeNull();
    expect(inGlobex.body.id).not.toBe(inAcme.body.id);
    expect(await customerCount(acme.orgId)).toBe(1);
    expect(await customerCount(globex.orgId)).toBe(1);
    // A different body in the other organization is no reuse either.
    const other = await keyed("POST", "/v1/customers", "shared-key", { key: globex.key, body: { name: "B" } });
    expect(other.status).toBe(422);
  });

  it("a key whose kept response is past its 24 hours is free again", async () => {
    const { orgId, key } = await newOrganization();
    const first = await keyed("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ?1")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    // KV's copy expires no later than the row (see the replay cache test); here it is simply gone.
    await env.KV.delete(await replayCacheKey(orgId, "old-key"));
    const second = await keyed("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
    expect(await customerCount(orgId)).toBe(2);
    const third = await keyed("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    expect(third.text).toBe(second.text);
  });

  it("POST /v1/organizations ignores Idempotency-Key, even an invalid one", async () => {
    const headers = { Authorization: "Bearer test-admin-token", "Idempotency-Key": "org-key" };
    const first = await call("POST", "/v1/organizations", { headers, body: { name: "A" } });
    const second = await call("POST", "/v1/organizations", { headers, body: { name: "A" } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.organization.id).not.toBe(first.body.organization.id);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    const invalidKey = await call("POST", "/v1/organizations", {
      headers: { ...headers, "Idempotency-Key": "" },
      body: { name: "B" },
    });
    expect(invalidKey.status).toBe(201);
    expect(await keyRowCount()).toBe(0);
  });
});

describe("fingerprint: method, decoded path, sorted query, body", () => {
  it("the same key with another body, raw body, path or method is 422 idempotency_key_reused", async () => {
    const { orgId, key } = await newOrganization();
    const first = await keyed("POST", "/v1/customers", "fp-1", { key, body: { name: "A" } });
    expect(first.status).toBe(201);
    const id = first.body.id;
    const attempts = [
      keyed("POST", "/v1/customers", "fp-1", { key, body: { name: "B" } }),
      // The same JSON value in other bytes is another body.
      keyed("POST", "/v1/customers", "fp-1", {
        key,
        rawBody: '{ "name": "A" }',
        headers: { "Content-Type": "application/json" },
      }),
      keyed("POST", "/v1/customers?expand=x", "fp-1", { key, body: { name: "A" } }),
      keyed("PATCH", `/v1/customers/${id}`, "fp-1", { key, body: { name: "A" } }),
      keyed("POST", `/v1/customers/${id}/unarchive`, "fp-1", { key, body: {} }),
      keyed("DELETE", `/v1/customers/${id}`, "fp-1", { key }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status, response.text).toBe(422);
      expect(response.body.code).toBe("idempotency_key_reused");
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    }
    expect(await customerCount(orgId)).toBe(1);
    expect((await call("GET", `/v1/customers/${id}`, { key })).status).toBe(200);
  });

  it("query order and percent-encoding of the path do not make another request", async () => {
    const { key } = await newOrganization();
    await call("POST", "/v1/customers", { key, body: { id: "abc" } });
    const first = await keyed("PATCH", "/v1/customers/abc?b=2&a=1", "fp-2", { key, body: { name: "A" } });
    expect(first.status).toBe(200);
    const again = await keyed("PATCH", "/v1/customers/%61bc?a=1&b=2", "fp-2", { key, body: { name: "A" } });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const otherValue = await keyed("PATCH", "/v1/customers/abc?a=1&b=3", "fp-2", { key, body: { name: "A" } });
    expect(otherValue.status).toBe(422);
  });

  it("decodes path segments one by one and keeps repeated query names in order", async () => {
    const body = new TextEncoder().encode('{"a":1}');
    const url = (path: string) => `http://roster.test${path}`;
    const base = await requestFingerprint("PATCH", url("/v1/customers/alternative-id/a%2Fb"), body);
    expect(await requestFingerprint("patch", url("/v1/customers/alternative-id/%61%2fb"), body)).toBe(base);
    expect(await requestFingerprint("PATCH", url("/v1/customers/alternative-id/a/b"), body)).not.toBe(base);
    expect(await requestFingerprint("PUT", url("/v1/customers/alternative-id/a%2Fb"), body)).not.toBe(base);
    expect(
      await requestFingerprint("PATCH", url("/v1/customers/alternative-id/a%2Fb"), new TextEncoder().encode('{"a":2}')),
    ).not.toBe(base);
    const ordered = await requestFingerprint("POST", url("/x?b=1&a=2&a=3"), body);
    expect(await requestFingerprint("POST", url("/x?a=2&a=3&b=1"), body)).toBe(ordered);
    expect(await requestFingerprint("POST", url("/x?a=3&a=2&b=1"), body)).not.toBe(ordered);
    // A malformed escape still gives one stable fingerprint.
    expect(await requestFingerprint("POST", url("/x/%E0%A4%A"), body)).toBe(
      await requestFingerprint("POST", url("/x/%E0%A4%A"), body),
    );
  });
});

describe("the Idempotency-Key header", () => {
  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["256 characters, quoted", `"${"k".repeat(256)}"`],
    ["non-ASCII", "clé"],
    ["a control character", "a\u0001b"],
    ["DEL", "a\u007fb"],
    ["an empty quoted string", '""'],
    ["an unterminated quoted string", '"abc'],
    ["a quote inside a quoted string", '"a"b"'],
    ["a bad escape in a quoted string", '"a\\nb"'],
  ])("%s is 400 idempotency_key_invalid and runs nothing", async (_, value) => {
    const { orgId, key } = await newOrganization();
    const response = await keyed("POST", "/v1/customers", value, { key, body: { name: "A" } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe("idempotency_key_invalid");
    expect(await customerCount(orgId)).toBe(0);
    expect(await keyRowCount()).toBe(0);
  });

  it("255 printable characters, spaces and symbols included, are a valid key", async () => {
    const { key } = await newOrganization();
    const long = `${"k".repeat(250)} !~"x`;
    expect(long).toHaveLength(255);
    const first = await keyed("POST", "/v1/customers", long, { key, body: {} });
    expect(first.status).toBe(201);
    const again = await keyed("POST", "/v1/customers", long, { key, body: {} });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it('a quoted key ("…") is the same key as the bare one', async () => {
    const { orgId, key } = await newOrganization();
    const quoted = await keyed("POST", "/v1/customers", '"order-7"', { key, body: { name: "A" } });
    expect(quoted.status).toBe(201);
    const bare = await keyed("POST", "/v1/customers", "order-7", { key, body: { name: "A" } });
    expect(bare.headers.get("Idempotent-Replayed")).toBe("true");
    expect(bare.text).toBe(quoted.text);
    const escaped = await keyed("POST", "/v1/customers", '"say \\"hi\\""', { key, body: { name: "B" } });
    expect(escaped.status).toBe(201);
    const unescaped = await keyed("POST", "/v1/customers", 'say "hi"', { key, body: { name: "B" } });
    expect(unescaped.text).toBe(escaped.text);
    expect(await customerCount(orgId)).toBe(2);
  });

  it("parses the forms the draft allows", () => {
    expect(parseIdempotencyKey(undefined)).toBeNull();
    expect(parseIdempotencyKey("abc")).toBe("abc");
    expect(parseIdempotencyKey('"abc"')).toBe("abc");
    expect(parseIdempotencyKey('"a\\\\b"')).toBe("a\\b");
    expect(parseIdempotencyKey('ab"c')).toBe('ab"c');
    expect(parseIdempotencyKey(`"${"x".repeat(255)}"`)).toHaveLength(255);
    expect(() => parseIdempotencyKey('"abc\\"')).toThrow(ApiError);
    expect(() => parseIdempotencyKey('"')).toThrow(ApiError);
    expect(() => parseIdempotencyKey("a\tb")).toThrow(ApiError);
  });
});

describe("locks and concurrency", () => {
  it("the same key while the first request is still running is 409 idempotency_request_in_progress", async () => {
    const { orgId, key } = await newOrganization();
    await keyed("POST", "/v1/customers", "busy", { key, body: { name: "A" } });
    await makeRunning(orgId, "busy", 59_000);
    const response = await keyed("POST", "/v1/customers", "busy", { key, body: { name: "A" } });
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
      Array.from({ length: 20 }, () => keyed("POST", "/v1/customers", "herd", { key, body: PROFILE })),
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
    const created = await keyed("POST", "/v1/api_keys", "new-key", { key, body: { name: "ci" } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^rk_/);
    const again = await keyed("POST", "/v1/api_keys", "new-key", { key, body: { name: "ci" } });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual({ ...created.body, secret: null });
    expect((await keyRow(orgId, "new-key"))?.body).not.toContain(created.body.secret);
    expect(await cachedReplay(orgId, "new-key")).not.toContain(created.body.secret);
    const keys = await call("GET", "/v1/api_keys", { key });
    expect(keys.body.data).toHaveLength(2);
  });
});

describe("the KV replay cache", () => {
  it("serves a replay from KV when KV has it", async () => {
    const { orgId, key } = await newOrganization();
    const first = await keyed("POST", "/v1/customers", "cached", { key, body: { name: "A" } });
    expect(JSON.parse((await cachedReplay(orgId, "cached")) ?? "null")).toMatchObject({
      status: 201,
      body: first.text,
    });
    // Prove D1 is not read: KV still answers with the real response.
    await env.DB.prepare("UPDATE idempotency_keys SET body = '{}'").run();
    const again = await keyed("POST", "/v1/customers", "cached", { key, body: { name: "A" } });
    expect(again.text).toBe(first.text);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("a KV miss falls back to D1 and refills KV", async () => {
    const { orgId, key } = await newOrganization();
    const first = await keyed("POST", "/v1/customers", "missed", { key, body: PROFILE });
    await env.KV.delete(await replayCacheKey(orgId, "missed"));
    const again = await keyed("POST", "/v1/customers", "missed", { key, body: PROFILE });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(again.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await customerCount(orgId)).toBe(1);
    expect(JSON.parse((await cachedReplay(orgId, "missed")) ?? "null")).toMatchObject({ body: first.text });
  });

  it("a KV entry never outlives its D1 row, and its key holds no raw Idempotency-Key", async () => {
    const { orgId, key } = await newOrganization();
    await keyed("POST", "/v1/customers", "ttl-check", { key, body: {} });
    const row = await keyRow(orgId, "ttl-check");
    const { keys } = await env.KV.list({ prefix: "v1:idem:" });
    expect(keys).toHaveLength(1);
    expect(keys[0]?.name).toBe(`v1:idem:${orgId}:${await sha256Hex("ttl-check")}`);
    const expiration = keys[0]?.expiration ?? Number.POSITIVE_INFINITY;
    expect(expiration * 1000).toBeLessThanOrEqual(Date.parse(row?.expires_at ?? ""));
    expect(expiration * 1000).toBeGreaterThan(Date.now() + 23.9 * 60 * 60 * 1000);
  });
});

describe("archive redacts kept responses", () => {
  it("in D1 and KV at once; a later replay returns the redacted body", async () => {
    const { orgId, key } = await newOrganization();
    const created = await keyed("POST", "/v1/customers", "k-create", { key, body: PROFILE });
    const id = created.body.id;
    const patched = await keyed("PATCH", `/v1/customers/${id}`, "k-patch", { key, body: { coupon_id: "C1" } });
    expect(patched.status).toBe(200);
    const other = await keyed("POST", "/v1/customers", "k-other", {
      key,
      body: { email: "someone.else@example.com", name: "Someone Else" },
    });
    for (const k of ["k-create", "k-patch", "k-other"]) expect(await cachedReplay(orgId, k)).not.toBeNull();

    expect((await call("DELETE", `/v1/customers/${id}`, { key })).status).toBe(200);

    for (const k of ["k-create", "k-patch"]) {
      const row = await keyRow(orgId, k);
      expect(row?.customer_id).toBe(id);
      expect(row?.redacted_at).not.toBeNull();
      for (const value of PII_VALUES) expect(row?.body).not.toContain(value);
      const body = JSON.parse(row?.body ?? "{}");
      for (const field of PII_FIELDS) expect(body[field], field).toBeNull();
      expect(body).toMatchObject({ object: "customer", id, language: "en", metadata: { plan: "pro" } });
      expect(await cachedReplay(orgId, k)).toBeNull();
    }
    // Another customer's kept response is untouched.
    expect((await keyRow(orgId, "k-other"))?.body).toBe(other.text);
    expect(await cachedReplay(orgId, "k-other")).not.toBeNull();

    const replay = await keyed("POST", "/v1/customers", "k-create", { key, body: PROFILE });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.headers.get("Location")).toBe(created.headers.get("Location"));
    for (const value of PII_VALUES) expect(replay.text).not.toContain(value);
    expect(replay.body).toMatchObject({ id, email: null, alternative_id: null, company: null, coupon_id: null });
    // The refilled cache holds the redacted body only.
    const refilled = await cachedReplay(orgId, "k-create");
    expect(refilled).not.toBeNull();
    for (const value of PII_VALUES) expect(refilled).not.toContain(value);
  });

  it("a kept provisioning result is redacted under $.customer", async () => {
    const { orgId, key } = await newOrganization();
    const body = { ...PROFILE, subscription: { plan_id: "gold" } };
    const provisioned = await keyed("POST", "/v1/customers/provision", "k-provision", { key, body });
    expect(provisioned.status, provisioned.text).toBe(201);
    expect(provisioned.body.object).toBe("provisioning_result");
    const id = provisioned.body.customer.id;
    expect(await keyRow(orgId, "k-provision")).toMatchObject({ customer_id: id, pii_path: "$.customer" });

    expect((await call("DELETE", `/v1/customers/${id}`, { key })).status).toBe(200);

    const row = await keyRow(orgId, "k-provision");
    const kept = JSON.parse(row?.body ?? "{}");
    for (const field of PII_FIELDS) expect(kept.customer[field], field).toBeNull();
    // Only existing fields are nulled: nothing is added at the top level.
    expect(Object.keys(kept)).toEqual(Object.keys(provisioned.body));
    expect(kept).toMatchObject({ object: "provisioning_result", created: true, subscription: { plan_id: "gold" } });
    expect(await cachedReplay(orgId, "k-provision")).toBeNull();
    const replay = await keyed("POST", "/v1/customers/provision", "k-provision", { key, body });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    for (const value of PII_VALUES) expect(replay.text).not.toContain(value);
  });

  it("a kept address or payment method loses what it showed", async () => {
    const { orgId, key } = await newOrganization();
    const customer = await keyed("POST", "/v1/customers", "k-customer", { key, body: {} });
    const base = `/v1/customers/${customer.body.id}`;
    const address = await keyed("POST", `${base}/addresses`, "k-address", {
      key,
      body: { line1: "7 Hidden Road", city: "Lyon", postal_code: "69001", country: "FR" },
    });
    const method = await keyed("POST", `${base}/payment_methods`, "k-method", {
      key,
      body: { gateway: "stripe", gateway_reference: "pm_private_1", last4: "4242", brand: "visa" },
    });
    expect([address.status, method.status]).toEqual([201, 201]);

    expect((await call("DELETE", base, { key })).status).toBe(200);

    const keptAddress = JSON.parse((await keyRow(orgId, "k-address"))?.body ?? "{}");
    expect(keptAddress).toMatchObject({ object: "address", line1: null, city: null, postal_code: null, country: "FR" });
    const keptMethod = JSON.parse((await keyRow(orgId, "k-method"))?.body ?? "{}");
    expect(keptMethod).toMatchObject({ object: "payment_method", gateway_reference: null, last4: null, brand: null });
    for (const k of ["k-address", "k-method"]) expect(await cachedReplay(orgId, k)).toBeNull();
  });

  it("recognises the bodies that carry a customer's PII", async () => {
    const subject = async (body: unknown) =>
      (await keepableResponse(new Response(JSON.stringify(body), { status: 200 })))?.subject;
    expect(await subject({ object: "customer", id: "c1", email: "a@b.co" })).toEqual({
      customerId: "c1",
      piiPath: "$",
    });
    expect(await subject({ object: "provisioning_result", customer: { object: "customer", id: "c2" } })).toEqual({
      customerId: "c2",
      piiPath: "$.customer",
    });
    expect(await subject({ object: "api_key", id: "key_1" })).toBeNull();
    expect(await subject({ object: "import_result", results: [] })).toBeNull();
  });

  it("a response kept after its customer was archived is kept redacted", async () => {
    const { orgId, key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: PROFILE });
    const now = new Date();
    const lock = {
      orgId,
      keyHash: "slow",
      fingerprint: "f",
      token: "t",
      lockedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 60_000).toISOString(),
    };
    expect(await insertLock(env.DB, lock)).toBe(true);
    // The archive runs while the request holding the lock has not kept its response yet.
    await call("DELETE", `/v1/customers/${created.body.id}`, { key });
    const row = await completeKey(
      env.DB,
      lock,
      { status: 201, headers: "{}", body: created.text },
      { customerId: created.body.id, piiPath: "$" },
      now.toISOString(),
      new Date(now.getTime() + 86_400_000).toISOString(),
    );
    expect(row?.redacted_at).not.toBeNull();
    for (const value of PII_VALUES) expect(row?.body).not.toContain(value);
  });

  it("a KV copy written just after an archive redacted the row is taken back", async () => {
    const { orgId, key } = await newOrganization();
    const created = await keyed("POST", "/v1/customers", "late-put", { key, body: PROFILE });
    const stale = await keyRow(orgId, "late-put");
    await call("DELETE", `/v1/customers/${created.body.id}`, { key });
    // A cache write that read the row before the archive lands after the archive's KV delete.
    await cacheReplay({ db: env.DB, kv: env.KV }, stale as never);
    expect(await cachedReplay(orgId, "late-put")).toBeNull();
    // While one that read the current row stays.
    await cacheReplay({ db: env.DB, kv: env.KV }, (await keyRow(orgId, "late-put")) as never);
    expect(await cachedReplay(orgId, "late-put")).not.toBeNull();
  });
});

describe("the OpenAPI document", () => {
  type Operation = {
    security?: Record<string, unknown>[];
    parameters?: { name: string; in: string }[];
    responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  };

  it("declares Idempotency-Key on exactly the API-key writes, with the replay header and the key problems", async () => {
    const document = (await call("GET", "/v1/openapi.json")).body as {
      paths: Record<string, Record<string, Operation>>;
    };
    let declared = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const isWrite = ["post", "patch", "put", "delete"].includes(method);
        const usesApiKey = (operation.security ?? []).some((scheme) => "bearerAuth" in scheme);
        const hasHeader = (operation.parameters ?? []).some(
          (parameter) => parameter.in === "header" && parameter.name === "Idempotency-Key",
        );
        expect(hasHeader, `${method} ${path}`).toBe(isWrite && usesApiKey);
        if (!hasHeader) continue;
        declared++;
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
        expect(success.length).toBeGreaterThan(0);
        for (const [, response] of success)
          expect(Object.keys(response.headers ?? {})).toContain("Idempotent-Replayed");
        expect(operation.responses["400"]?.description).toContain("idempotency_key_invalid");
        expect(operation.responses["409"]?.description).toContain("idempotency_request_in_progress");
        expect(operation.responses["422"]?.description).toContain("idempotency_key_reused");
        expect(operation.responses["401"]?.headers ?? {}).not.toHaveProperty("Idempotent-Replayed");
      }
    }
    expect(declared).toBeGreaterThanOrEqual(10);
    expect(document.paths["/v1/organizations"]?.post?.parameters ?? []).not.toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key" }),
    );
  });
});
