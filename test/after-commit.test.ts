import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { CustomerDeps } from "../src/customers/customers.service";
import { provisionFromEvent } from "../src/customers/provision.service";
import { eventsOutbox } from "../src/event-deliveries/outbox";
import { sha256Hex } from "../src/lib/crypto";
import { kvKeys } from "../src/lib/kv-keys";
import { EXAMPLE_PII } from "./fixtures";
import {
  type ArchivedCustomer,
  altPath,
  type CallOptions,
  type CustomerObject,
  call,
  newOrganization,
  type Problem,
  type ProvisioningResult,
} from "./helpers";
import type { ImportResult } from "./response-types";
import { d1FailingWritesTo, kvWithFailingDeletes } from "./storage-doubles";

// Once a change commits, its answer is its success response: follow-up work (KV clean-up)
// runs after it, retried, and a repeated DELETE finishes what is still owed.

/** `T`: the body expected at the status the test asserts. */
function keyed<T>(method: string, path: string, idempotencyKey: string, options: CallOptions = {}) {
  return call<T>(method, path, { ...options, headers: { ...options.headers, "Idempotency-Key": idempotencyKey } });
}

const replayKey = async (orgId: string, idempotencyKey: string) =>
  kvKeys.idempotentReplay(orgId, await sha256Hex(idempotencyKey));

async function keptBody(orgId: string, idempotencyKey: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT body FROM idempotency_keys WHERE org_id = ?1 AND key_hash = ?2")
    .bind(orgId, await sha256Hex(idempotencyKey))
    .first<{ body: string | null }>();
  return row?.body ?? null;
}

const count = async (table: "customers" | "subscriptions") =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? -1;

describe("follow-up work after an archive", () => {
  it("answers 200 when the KV clean-up fails, and a repeated DELETE finishes it", async () => {
    const { key, orgId } = await newOrganization();
    const created = await keyed<CustomerObject>("POST", "/v1/customers", "create-jenny", { key, body: EXAMPLE_PII });
    expect(created.status).toBe(201);
    const cacheKey = await replayKey(orgId, "create-jenny");
    expect(await env.KV.get(cacheKey)).toContain(EXAMPLE_PII.email);

    const failing = kvWithFailingDeletes(env.KV);
    const path = `/v1/customers/${created.body.id}`;
    const first = await call<ArchivedCustomer>("DELETE", path, { key, env: { ...env, KV: failing.kv } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: "customer", id: created.body.id, archived: true });
    // Retried in the background, never answered: more than one attempt per entry was made.
    expect(failing.deleteAttempts()).toBeGreaterThan(2);
    expect(await env.KV.get(cacheKey)).toContain(EXAMPLE_PII.email);

    const again = await call("DELETE", path, { key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await env.KV.get(cacheKey)).toBeNull();
    const replay = await keyed("POST", "/v1/customers", "create-jenny", { key, body: EXAMPLE_PII });
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.text).not.toContain(EXAMPLE_PII.email);
  });

  it("retries a failed KV clean-up in the background until it is done", async () => {
    const { key, orgId } = await newOrganization();
    const created = await keyed<CustomerObject>("POST", "/v1/customers", "create-1", { key, body: EXAMPLE_PII });
    expect((await call("GET", altPath(EXAMPLE_PII.alternative_id), { key })).status).toBe(200);
    const altKey = await kvKeys.alternativeId(orgId, EXAMPLE_PII.alternative_id);
    expect(await env.KV.get(altKey)).toBe(created.body.id);

    let failuresLeft = 2;
    const flaky = kvWithFailingDeletes(env.KV, () => failuresLeft-- > 0);
    const archived = await call("DELETE", altPath(EXAMPLE_PII.alternative_id), { key, env: { ...env, KV: flaky.kv } });
    expect(archived.status).toBe(200);
    expect(await env.KV.get(altKey)).toBeNull();
    expect(await env.KV.get(await replayKey(orgId, "create-1"))).toBeNull();
  });

  it("answers 200 to a PATCH that released an alternative ID when KV fails", async () => {
    const { key } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: { alternative_id: "old" } });
    expect((await call("GET", altPath("old"), { key })).status).toBe(200);
    const failing = kvWithFailingDeletes(env.KV);
    const patched = await call<CustomerObject>("PATCH", `/v1/customers/${created.body.id}`, {
      key,
      body: { alternative_id: "new" },
      env: { ...env, KV: failing.kv },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.alternative_id).toBe("new");
    // D1 decides: the stale KV entry cannot resolve the released ID.
    expect((await call("GET", altPath("old"), { key })).status).toBe(404);
  });
});

describe("provision with a subscription", () => {
  it("creates the customer and the subscription in one atomic step: a failed subscription write creates nobody", async () => {
    const { key } = await newOrganization();
    const response = await call("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "atomic", email: "a@example.com", subscription: { plan_id: "pro" } },
      env: { ...env, DB: d1FailingWritesTo(env.DB, "subscriptions") },
    });
    expect(response.status).toBe(503);
    expect(await count("customers")).toBe(0);
    expect(await count("subscriptions")).toBe(0);

    const retried = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "atomic", email: "a@example.com", subscription: { plan_id: "pro" } },
    });
    expect(retried.status).toBe(201);
    expect(retried.body.subscription).toMatchObject({ plan_id: "pro", status: "active" });
  });

  it("updates an existing customer and adds the subscription in one atomic step", async () => {
    const { key } = await newOrganization();
    await call("POST", "/v1/customers/provision", { key, body: { alternative_id: "known", name: "Before" } });
    const response = await call("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "known", name: "After", subscription: { plan_id: "pro" } },
      env: { ...env, DB: d1FailingWritesTo(env.DB, "subscriptions") },
    });
    expect(response.status).toBe(503);
    expect((await call<CustomerObject>("GET", altPath("known"), { key })).body.name).toBe("Before");
    expect(await count("subscriptions")).toBe(0);

    const retried = await call<ProvisioningResult>("POST", "/v1/customers/provision", {
      key,
      body: { alternative_id: "known", name: "After", subscription: { plan_id: "pro" } },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.customer.name).toBe("After");
    expect(retried.body.subscription).toMatchObject({ plan_id: "pro", status: "active" });
  });
});

describe("kept conflicts name the field, not the value", () => {
  it.each([
    ["alternative_id", { alternative_id: "taken-alt" }],
    ["email", { email: "taken@example.com" }],
    ["username", { username: "taken_name" }],
  ])("a kept 409 for a taken %s replays no value of the archived holder", async (field, conflicting) => {
    const { key, orgId } = await newOrganization();
    const holder = await call<CustomerObject>("POST", "/v1/customers", { key, body: conflicting });
    const value = Object.values(conflicting)[0] as string;
    const refused = await keyed<Problem>("POST", "/v1/customers", "conflict-1", { key, body: conflicting });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe(`${field}_taken`);
    expect(refused.body.errors).toEqual([{ pointer: `/${field}`, detail: "already in use" }]);
    expect((await call("DELETE", `/v1/customers/${holder.body.id}`, { key })).status).toBe(200);

    const replay = await keyed("POST", "/v1/customers", "conflict-1", { key, body: conflicting });
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.status).toBe(409);
    expect(replay.text).not.toContain(value);
    expect(await keptBody(orgId, "conflict-1")).not.toContain(value);
    expect((await env.KV.get(await replayKey(orgId, "conflict-1"))) ?? "").not.toContain(value);
  });

  it("an import result naming a taken alternative ID or email echoes neither", async () => {
    const { key } = await newOrganization();
    await call("POST", "/v1/customers", {
      key,
      body: { id: "holder", alternative_id: "held", email: "h@example.com" },
    });
    const response = await call<ImportResult>("POST", "/v1/customers/import", {
      key,
      body: {
        customers: [
          { alternative_id: "fresh", email: "h@example.com" },
          { id: "x", alternative_id: "held" },
        ],
      },
    });
    expect(response.body.failed).toBe(2);
    expect(response.text).not.toContain("h@example.com");
    expect(response.text).not.toContain('"held');
    expect(response.text).not.toContain("'held'");
  });
});

describe("unarchive", () => {
  it("forgets the archived alternative ID's hash, so a webhook event for that ID is not refused", async () => {
    const { key, orgId } = await newOrganization();
    const created = await call<CustomerObject>("POST", "/v1/customers", { key, body: { alternative_id: "comeback" } });
    const path = `/v1/customers/${created.body.id}`;
    expect((await call("DELETE", path, { key })).status).toBe(200);
    expect((await call("POST", `${path}/unarchive`, { key })).status).toBe(200);

    const row = await env.DB.prepare("SELECT archived_alternative_id_hash AS hash FROM customers WHERE id = ?1")
      .bind(created.body.id)
      .first<{ hash: string | null }>();
    expect(row?.hash).toBeNull();
    const deps: CustomerDeps = {
      db: env.DB,
      kv: env.KV,
      orgId,
      background: () => {},
      settings: env,
      events: eventsOutbox(env, null, () => {}),
    };
    const outcome = await provisionFromEvent(deps, { alternative_id: "comeback" }, new Date().toISOString());
    expect(outcome.status).toBe("created");
  });
});
