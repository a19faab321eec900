import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { hc } from "hono/client";
import { describe, expect, it, vi } from "vitest";
import worker, { type AppType } from "../src/index";
import { newOrganization } from "./helpers";

/** fetch that hands requests straight to the Worker, so the typed client runs end to end. */
const workerFetch = (workerEnv: Env) => async (input: RequestInfo | URL, init?: RequestInit) => {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(input, init), workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
};

describe("typed client (hono/client)", () => {
  it("creates and reads a customer with inferred request and response types", async () => {
    const { key } = await newOrganization();
    const client = hc<AppType>("http://roster.test", {
      headers: { Authorization: `Bearer ${key}` },
      fetch: workerFetch(env),
    });
    const created = await client.v1.customers.$post({ json: { alternative_id: "typed", email: "t@example.com" } });
    expect(created.status).toBe(201);
    const customer = await created.json();
    const fetched = await client.v1.customers["alternative-id"][":alternative_id"].$get({
      param: { alternative_id: "typed" },
      query: {},
    });
    const body = await fetched.json();
    expect(fetched.status).toBe(200);
    if (fetched.status === 200 && "email" in body) expect(body.email).toBe("t@example.com");
    expect("id" in body && body.id).toBe(customer.id);
  });
});

describe("request logs", () => {
  it("log one JSON line per request with the route pattern, never the path or PII", async () => {
    const { key } = await newOrganization();
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      const client = hc<AppType>("http://roster.test", {
        headers: { Authorization: `Bearer ${key}`, "X-Request-Id": "trace-123" },
        fetch: workerFetch({ ...env, LOG_REQUESTS: "true" }),
      });
      await client.v1.customers.$post({ json: { alternative_id: "secret alt", email: "pii@example.com" } });
      await client.v1.customers["alternative-id"][":alternative_id"].$get({
        param: { alternative_id: "secret alt" },
        query: {},
      });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(2);
    const entries = lines.map((line) => JSON.parse(line));
    expect(entries[1]).toMatchObject({
      level: "info",
      message: "request",
      request_id: "trace-123",
      method: "GET",
      route: "/v1/customers/alternative-id/:alternative_id",
      status: 200,
      org_id: expect.stringMatching(/^org_/),
    });
    expect(typeof entries[1].duration_ms).toBe("number");
    for (const line of lines) {
      expect(line).not.toContain("secret");
      expect(line).not.toContain("pii@example.com");
    }
  });
});
