import { describe, expect, it } from "vitest";
import { getPage, signIn } from "./console-helpers";
import { call, newOrganization, type Problem } from "./helpers";

// This file runs with a limit of 3 requests per 10 s per API key (see vitest.config.ts).
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
