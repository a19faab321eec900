import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_LIVE_API_KEYS_PER_ORGANIZATION } from "../src/api-keys/api-keys.repository";
import { call, expectProblem, newOrganization } from "./helpers";

type CreatedKey = { id: string; secret: string };

/** Live keys straight into D1 (the organization's first key comes with it): `count` more. */
async function addLiveKeys(orgId: string, count: number) {
  const now = new Date().toISOString();
  const statements = Array.from({ length: count }, (_, index) =>
    env.DB.prepare(
      "INSERT INTO api_keys (id, org_id, name, key_hash, prefix, created_at) VALUES (?1, ?2, 'bulk', ?3, 'rk_bulk', ?4)",
    ).bind(`key_BULK${orgId.slice(-10)}${String(index).padStart(12, "0")}`, orgId, `${orgId}-hash-${index}`, now),
  );
  await env.DB.batch(statements);
}

const liveKeys = async (orgId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE org_id = ?1 AND revoked_at IS NULL")
      .bind(orgId)
      .first<{ n: number }>()
  )?.n;

describe("at most 100 live API keys per organization", () => {
  it("refuses the 101st with 409 api_key_limit_reached; a revoked key frees a place", async () => {
    expect(MAX_LIVE_API_KEYS_PER_ORGANIZATION).toBe(100);
    const { key, orgId } = await newOrganization();
    await addLiveKeys(orgId, 98);
    const hundredth = await call<CreatedKey>("POST", "/v1/api_keys", { key, body: { name: "100th" } });
    expect(hundredth.status).toBe(201);
    const refused = await call("POST", "/v1/api_keys", { key, body: { name: "101st" } });
    expectProblem(refused, 409, "api_key_limit_reached");
    expect(await liveKeys(orgId)).toBe(100);

    expect((await call("DELETE", `/v1/api_keys/${hundredth.body.id}`, { key })).status).toBe(200);
    expect((await call("POST", "/v1/api_keys", { key, body: { name: "again" } })).status).toBe(201);
    expect(await liveKeys(orgId)).toBe(100);
    // Another organization is not affected.
    const other = await newOrganization("Other");
    expect((await call("POST", "/v1/api_keys", { key: other.key, body: {} })).status).toBe(201);
  });

  it("concurrent creates never overshoot: exactly the free places are taken", async () => {
    const { key, orgId } = await newOrganization();
    await addLiveKeys(orgId, 96);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) => call("POST", "/v1/api_keys", { key, body: { name: `racer ${index}` } })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    for (const response of responses.filter((each) => each.status === 409)) {
      expectProblem(response, 409, "api_key_limit_reached");
    }
    expect(await liveKeys(orgId)).toBe(100);
  });
});
