import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getPage, signIn } from "./console-helpers";
import { type Called, call, newOrganization, type Problem } from "./helpers";
import { createEndpoint, deliver, newMessageId, provisionEvent } from "./webhooks-helpers";

// This file runs with a limit of 3 requests per 10 s per API key and 5 per organization across
// all its keys (see vitest.config.ts).
describe("per-API-key rate limit", () => {
  it("answers 429 rate_limited with Retry-After once a key exceeds its limit", async () => {
    const { key } = await newOrganization();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call("GET", "/v1/customers", { key })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await call<Problem>("GET", "/v1/customers", { key });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Content-Type")).toBe("application/problem+json");
    expect(limited.headers.get("Retry-After")).toBe("10");
    expect(limited.body.code).toBe("rate_limited");
  });

  it("counts each key on its own", async () => {
    const first = await newOrganization("First");
    const second = await newOrganization("Second");
    // The limiter counts in fixed 10 s windows: on a loaded machine a window can end between the
    // third and fourth request, so send until the first key is refused (at most two windows' worth).
    const firstStatuses: number[] = [];
    while (firstStatuses.at(-1) !== 429 && firstStatuses.length < 8) {
      firstStatuses.push((await call("GET", "/v1/customers", { key: first.key })).status);
    }
    expect(firstStatuses.at(-1)).toBe(429);
    expect(firstStatuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect((await call("GET", "/v1/customers", { key: second.key })).status).toBe(200);
  });

  it("limits the console's pages by the key its session signed in with", async () => {
    const { key } = await newOrganization();
    // Signing in checks the key without spending its budget; each page spends one request.
    const cookie = await signIn(key);
    // Fixed 10 s windows: send until refused (at most two windows' worth), as above.
    let limited = await getPage("/console/customers", cookie);
    for (let sent = 1; limited.status !== 429 && sent < 8; sent++)
      limited = await getPage("/console/customers", cookie);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(limited.headers.get("Retry-After")).toBe("10");
  });
});

describe("per-organization rate limit", () => {
  it("refuses an organization's second key once all its keys together reach the limit", async () => {
    const { key } = await newOrganization("Busy");
    const other = await newOrganization("Quiet");
    const created = await call<{ secret: string }>("POST", "/v1/api_keys", { key, body: { name: "second" } });
    expect(created.status).toBe(201);
    // The create counted once for the first key (and the organization): two more for it.
    const first: number[] = [];
    for (let i = 0; i < 2; i++) first.push((await call("GET", "/v1/customers", { key })).status);
    expect(first).toEqual([200, 200]);
    // The second key is well within its own limit of 3, yet the organization has had 3 of its 5.
    const second: Called<Problem>[] = [];
    while (second.at(-1)?.status !== 429 && second.length < 3) {
      second.push(await call<Problem>("GET", "/v1/customers", { key: created.body.secret }));
    }
    const limited = second.at(-1)!;
    expect(second.map((response) => response.status)).toEqual([200, 200, 429]);
    expect(limited.headers.get("Retry-After")).toBe("10");
    expect(limited.body.code).toBe("rate_limited");
    expect(limited.body.detail).toContain("organization");
    // Another organization is not affected.
    expect((await call("GET", "/v1/customers", { key: other.key })).status).toBe(200);
  });

  it("counts an organization's verified webhook deliveries with its API keys", async () => {
    const { key, orgId } = await newOrganization("Signs its own");
    const other = await newOrganization("Quiet");
    // One of the organization's 5 requests per 10 s: the endpoint's create.
    const endpoint = await createEndpoint(key);
    const answers: Called<Problem>[] = [];
    const ids: string[] = [];
    // Fixed 10 s windows: send until refused (at most two windows' worth).
    while (answers.at(-1)?.status !== 429 && answers.length < 12) {
      const id = newMessageId();
      ids.push(id);
      answers.push(
        await deliver<Problem>(endpoint, provisionEvent({ alternative_id: `signed-${ids.length}` }), { id }),
      );
    }
    const limited = answers.at(-1)!;
    expect(limited.status).toBe(429);
    expect(answers.slice(0, -1).every((answer) => answer.status === 200)).toBe(true);
    expect(limited.headers.get("Retry-After")).toBe("10");
    expect(limited.body.code).toBe("rate_limited");
    expect(limited.body.detail).toContain("webhook deliveries");
    // Nothing of the refused delivery was recorded: its sender delivers it again later.
    const refusedId = ids.at(-1)!;
    const recorded = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_messages WHERE message_id = ?1")
      .bind(refusedId)
      .first<{ n: number }>();
    expect(recorded?.n).toBe(0);
    const customers = await env.DB.prepare("SELECT COUNT(*) AS n FROM customers WHERE org_id = ?1")
      .bind(orgId)
      .first<{ n: number }>();
    expect(customers?.n).toBe(answers.length - 1);
    // Another organization is not affected.
    expect((await call("GET", "/v1/customers", { key: other.key })).status).toBe(200);
  });
});
