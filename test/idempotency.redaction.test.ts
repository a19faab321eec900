import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERASED_FIELDS } from "../src/customer-records/erased-fields";
import { completeKey, insertLock } from "../src/idempotency/idempotency.repository";
import { keepableResponse } from "../src/idempotency/kept-response";
import { cacheReplay } from "../src/idempotency/replay-cache";
import { sha256Hex } from "../src/lib/crypto";
import { PII_FIELDS, PII_VALUES } from "./fixtures";
import { type CustomerObject, call, newOrganization, type ProvisioningResult } from "./helpers";
import { cachedReplay, customerCount, keyed, keyRow, PROFILE, replayCacheKey } from "./idempotency-helpers";

/** Where kept responses live (the KV replay cache in front of D1) and how an archive redacts them. */

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
    const created = await keyed<CustomerObject>("POST", "/v1/customers", "k-create", { key, body: PROFILE });
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
    const provisioned = await keyed<ProvisioningResult>("POST", "/v1/customers/provision", "k-provision", {
      key,
      body,
    });
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
    const customer = await keyed<CustomerObject>("POST", "/v1/customers", "k-customer", { key, body: {} });
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
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: PROFILE });
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
    const row = await completeKey(env.DB, lock, {
      status: 201,
      headers: "{}",
      body: created.text,
      subject: { customerId: created.body.id, piiPath: "$" },
      erasedFields: ERASED_FIELDS,
      completedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
    });
    expect(row?.redacted_at).not.toBeNull();
    for (const value of PII_VALUES) expect(row?.body).not.toContain(value);
  });

  it("a KV copy written just after an archive redacted the row is taken back", async () => {
    const { orgId, key } = await newOrganization();
    const created = await keyed<CustomerObject>("POST", "/v1/customers", "late-put", { key, body: PROFILE });
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
