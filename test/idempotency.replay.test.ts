import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requestFingerprint } from "../src/idempotency/fingerprint";
import { type CreatedOrganization, type CustomerObject, call, newOrganization, type Problem } from "./helpers";
import { customerCount, keyed, keyRowCount, PROFILE, replayCacheKey } from "./idempotency-helpers";

/** Idempotency-Key (spec: idempotency): what a first use keeps and a replay answers, and what makes a request another. */

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
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: { name: "Ann" } });
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
    expect((await call<CustomerObject>("GET", path, { key })).body.name).toBe("Eve");

    const archived = await keyed("DELETE", path, "delete-1", { key });
    expect(archived.status).toBe(200);
    const archivedAgain = await keyed("DELETE", path, "delete-1", { key });
    expect(archivedAgain.status).toBe(200);
    expect(archivedAgain.text).toBe(archived.text);
    expect(archivedAgain.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("keeps final 4xx answers, validation failures included", async () => {
    const { orgId, key } = await newOrganization();
    const invalid = await keyed<Problem>("POST", "/v1/customers", "bad-1", { key, body: { email: "not an email" } });
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
    const first = await call<CustomerObject>("POST", "/v1/customers", { key, body: { name: "A" } });
    const second = await call<CustomerObject>("POST", "/v1/customers", { key, body: { name: "A" } });
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
    const inAcme = await keyed<CustomerObject>("POST", "/v1/customers", "shared-key", {
      key: acme.key,
      body: { name: "A" },
    });
    const inGlobex = await keyed<CustomerObject>("POST", "/v1/customers", "shared-key", {
      key: globex.key,
      body: { name: "A" },
    });
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
    const first = await keyed<CustomerObject>("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ?1")
      .bind(new Date(Date.now() - 1000).toISOString())
      .run();
    // KV's copy expires no later than the row (see the replay cache test); here it is simply gone.
    await env.KV.delete(await replayCacheKey(orgId, "old-key"));
    const second = await keyed<CustomerObject>("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
    expect(await customerCount(orgId)).toBe(2);
    const third = await keyed("POST", "/v1/customers", "old-key", { key, body: { name: "A" } });
    expect(third.text).toBe(second.text);
  });

  it("POST /v1/organizations ignores Idempotency-Key, even an invalid one", async () => {
    const headers = { Authorization: "Bearer test-admin-token", "Idempotency-Key": "org-key" };
    const first = await call<CreatedOrganization>("POST", "/v1/organizations", { headers, body: { name: "A" } });
    const second = await call<CreatedOrganization>("POST", "/v1/organizations", { headers, body: { name: "A" } });
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
    const first = await keyed<CustomerObject>("POST", "/v1/customers", "fp-1", { key, body: { name: "A" } });
    expect(first.status).toBe(201);
    const id = first.body.id;
    const attempts = [
      keyed<Problem>("POST", "/v1/customers", "fp-1", { key, body: { name: "B" } }),
      // The same JSON value in other bytes is another body.
      keyed<Problem>("POST", "/v1/customers", "fp-1", {
        key,
        rawBody: '{ "name": "A" }',
        headers: { "Content-Type": "application/json" },
      }),
      keyed<Problem>("POST", "/v1/customers?expand=x", "fp-1", { key, body: { name: "A" } }),
      keyed<Problem>("PATCH", `/v1/customers/${id}`, "fp-1", { key, body: { name: "A" } }),
      keyed<Problem>("POST", `/v1/customers/${id}/unarchive`, "fp-1", { key, body: {} }),
      keyed<Problem>("DELETE", `/v1/customers/${id}`, "fp-1", { key }),
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
