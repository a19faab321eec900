import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { couldBeApiKey, UNKNOWN_KEY_TTL_MS } from "../src/auth/unknown-keys";
import { sha256Hex } from "../src/lib/crypto";
import { randomWellFormedKey, recordingD1, unreachableD1 } from "./d1-spy";
import { type ApiKeyWithSecret, call, newOrganization, type Problem } from "./helpers";

afterEach(() => {
  vi.useRealTimers();
});

const apiKeyLookups = (statements: string[]) => statements.filter((sql) => /FROM api_keys/i.test(sql)).length;

describe("no storage without a key that could be valid", () => {
  it.each([
    ["too short", "rk_whatever"],
    ["wrong prefix", `sk_${"a".repeat(40)}`],
    ["no prefix", "a".repeat(43)],
    ["too long", `rk_${"a".repeat(65)}`],
    ["outside the alphabet", `rk_${"a".repeat(30)}-.~+/=`],
  ])("a token that cannot be a Roster key (%s) is 401 without touching storage", async (_label, token) => {
    const response = await call<Problem>("GET", "/v1/customers", {
      key: token,
      env: { ...env, DB: unreachableD1(env.DB) },
    });
    expect({ status: response.status, code: response.body?.code }).toEqual({ status: 401, code: "unauthorized" });
  });

  it("minted keys, the development key and the benchmark's keys have the shape", async () => {
    const { key } = await newOrganization();
    for (const token of [key, "rk_dev_local_development_key", "rk_bench_local_benchmark_key_0123456789"]) {
      expect(couldBeApiKey(token), token).toBe(true);
    }
  });

  it("the development key still authenticates", async () => {
    const { orgId } = await newOrganization();
    const devKey = "rk_dev_local_development_key";
    await env.DB.prepare(
      "INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES ('key_DEVTEST', ?1, 'dev', ?2, 'rk_dev_', ?3)",
    )
      .bind(orgId, await sha256Hex(devKey), new Date().toISOString())
      .run();
    expect((await call("GET", "/v1/customers", { key: devKey })).status).toBe(200);
  });

  it("an unknown key is looked up in D1 once, then remembered in this isolate", async () => {
    await newOrganization();
    const recording = recordingD1(env.DB);
    const unknown = randomWellFormedKey();
    for (let i = 0; i < 5; i++) {
      const response = await call("GET", "/v1/customers", { key: unknown, env: { ...env, DB: recording.db } });
      expect(response.status).toBe(401);
    }
    expect(apiKeyLookups(recording.statements)).toBe(1);
  });

  it("a key created after other keys were refused works at once", async () => {
    const { key } = await newOrganization();
    for (let i = 0; i < 3; i++)
      expect((await call("GET", "/v1/customers", { key: randomWellFormedKey() })).status).toBe(401);
    const created = await call<ApiKeyWithSecret>("POST", "/v1/api_keys", { key, body: { name: "new" } });
    expect(created.status).toBe(201);
    expect((await call("GET", "/v1/customers", { key: created.body.secret })).status).toBe(200);
  });

  it("an unknown key is remembered only briefly: stored after a refusal, it works once the memo expires", async () => {
    const { orgId } = await newOrganization();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const secret = randomWellFormedKey();
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(401);
    await env.DB.prepare(
      "INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES ('key_LATE', ?1, NULL, ?2, ?3, ?4)",
    )
      .bind(orgId, await sha256Hex(secret), secret.slice(0, 7), new Date().toISOString())
      .run();
    vi.setSystemTime(start + UNKNOWN_KEY_TTL_MS - 1000);
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(401);
    vi.setSystemTime(start + UNKNOWN_KEY_TTL_MS);
    expect((await call("GET", "/v1/customers", { key: secret })).status).toBe(200);
    expect(UNKNOWN_KEY_TTL_MS).toBeLessThanOrEqual(60_000);
  });
});
