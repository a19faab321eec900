import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HEALTH_PROBE_SHARED_FOR_MS } from "../src/system";
import { recordingD1 } from "./d1-spy";
import { call, type Problem } from "./helpers";
import { d1WithSessions } from "./storage-doubles";

afterEach(() => {
  vi.useRealTimers();
});

const failingD1 = (db: D1Database): D1Database =>
  d1WithSessions(db, (_inner, name) =>
    name === "prepare"
      ? () => {
          throw new Error("D1_ERROR: injected outage");
        }
      : undefined,
  );

describe("/healthz", () => {
  it("requests within a second share one D1 probe", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    const recording = recordingD1(env.DB);
    const testEnv = { ...env, DB: recording.db };
    const responses = await Promise.all(Array.from({ length: 10 }, () => call("GET", "/healthz", { env: testEnv })));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    vi.setSystemTime(start + HEALTH_PROBE_SHARED_FOR_MS - 1);
    expect((await call("GET", "/healthz", { env: testEnv })).status).toBe(200);
    expect(recording.statements).toHaveLength(1);
    vi.setSystemTime(start + HEALTH_PROBE_SHARED_FOR_MS);
    expect((await call("GET", "/healthz", { env: testEnv })).status).toBe(200);
    expect(recording.statements).toHaveLength(2);
  });

  it("503 storage_unavailable when D1 fails, 200 again once it answers", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now() + 60_000; // past any probe an earlier test started
    vi.setSystemTime(start);
    const down = await call<Problem>("GET", "/healthz", { env: { ...env, DB: failingD1(env.DB) } });
    expect({ status: down.status, code: down.body.code }).toEqual({ status: 503, code: "storage_unavailable" });
    vi.setSystemTime(start + HEALTH_PROBE_SHARED_FOR_MS);
    expect((await call("GET", "/healthz")).status).toBe(200);
  });
});
