import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findIdempotencyKey, insertLock, type Lock } from "../src/idempotency/idempotency.repository";
import { keepLockAlive, LOCK_RENEWAL_MS, LOCK_TIMEOUT_MS } from "../src/idempotency/lock";
import worker from "../src/index";
import { sha256Hex } from "../src/lib/crypto";
import { call, newOrganization } from "./helpers";
import { d1FailingWritesTo } from "./storage-doubles";

afterEach(() => {
  vi.useRealTimers();
});

describe("Idempotency-Key lock renewal", () => {
  it("renews a running lock every LOCK_RENEWAL_MS until its request finishes", async () => {
    const { orgId } = await newOrganization();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const start = Date.now();
    const lock: Lock = {
      orgId,
      keyHash: "a".repeat(64),
      fingerprint: "f",
      token: "owner",
      lockedAt: new Date(start).toISOString(),
      expiresAt: new Date(start + LOCK_TIMEOUT_MS).toISOString(),
    };
    expect(await insertLock(env.DB, lock)).toBe(true);
    const expiresAt = async () => (await findIdempotencyKey(env.DB, orgId, lock.keyHash))?.expires_at;

    const renewal = keepLockAlive(env.DB, lock);
    await vi.advanceTimersByTimeAsync(2 * LOCK_RENEWAL_MS + 1);
    await renewal.stop();
    expect(await expiresAt()).toBe(new Date(start + 2 * LOCK_RENEWAL_MS + LOCK_TIMEOUT_MS).toISOString());

    // Stopped: the lock now ages out as a dead one would.
    await vi.advanceTimersByTimeAsync(3 * LOCK_RENEWAL_MS);
    expect(await expiresAt()).toBe(new Date(start + 2 * LOCK_RENEWAL_MS + LOCK_TIMEOUT_MS).toISOString());
  });

  it("does not renew a lock another request has taken over", async () => {
    const { orgId } = await newOrganization();
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const now = new Date().toISOString();
    const lock: Lock = {
      orgId,
      keyHash: "b".repeat(64),
      fingerprint: "f",
      token: "other",
      lockedAt: now,
      expiresAt: now,
    };
    expect(await insertLock(env.DB, lock)).toBe(true);
    const renewal = keepLockAlive(env.DB, { ...lock, token: "stale-owner" });
    await vi.advanceTimersByTimeAsync(LOCK_RENEWAL_MS + 1);
    await renewal.stop();
    expect((await findIdempotencyKey(env.DB, orgId, lock.keyHash))?.expires_at).toBe(now);
  });
});

describe("completing or releasing a key", () => {
  it("runs under waitUntil, so a client that hangs up does not leave the key locked", async () => {
    const { key, orgId } = await newOrganization();
    await call("GET", "/v1/customers", { key }); // warm the API-key cache
    const waited: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (promise: Promise<unknown>) => waited.push(promise),
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext;
    const request = new Request("http://roster.test/v1/customers", {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "Idempotency-Key": "cut-off" },
      body: JSON.stringify({ name: "Ann" }),
    });
    const failingEnv = { ...env, DB: d1FailingWritesTo(env.DB, "customers") };
    const response = await worker.fetch(request, failingEnv, ctx);
    expect(response.status).toBe(503);
    expect(waited.length).toBeGreaterThan(0);
    await Promise.all(waited);
    // Released: the key is free for a retry at once.
    expect(await findIdempotencyKey(env.DB, orgId, await sha256Hex("cut-off"))).toBeNull();
  });
});
