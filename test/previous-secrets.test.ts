import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sweepEvents } from "../src/event-deliveries/sweep";
import { PREVIOUS_SECRET_GRACE_MS, previousSecretExpiresAt, secretsInForce } from "../src/lib/previous-secrets";
import { cleanUpWebhooks } from "../src/webhooks/cleanup";
import { capturingQueue, createDestination } from "./events-helpers";
import { call, newOrganization } from "./helpers";
import { createEndpoint } from "./webhooks-helpers";

// Event destinations and webhook endpoints keep a rotated-out secret for 24 hours; each
// scheduled clean-up erases its own table's expired ones (one shared statement, src/lib).

const EXPIRY = "2026-06-01T12:00:00.000Z";
const at = (iso: string, ms = 0) => new Date(Date.parse(iso) + ms);

/** Which rows of `table` still hold a previous secret, by id. */
async function holdingPrevious(table: "event_destinations" | "webhook_endpoints") {
  const { results } = await env.DB.prepare(
    `SELECT id, previous_secret IS NOT NULL AS has_previous FROM ${table} ORDER BY id`,
  ).all<{ id: string; has_previous: number }>();
  return Object.fromEntries(results.map((row) => [row.id, row.has_previous === 1]));
}

const expireAt = (table: "event_destinations" | "webhook_endpoints", id: string, iso: string) =>
  env.DB.prepare(`UPDATE ${table} SET previous_secret_expires_at = ?2 WHERE id = ?1`).bind(id, iso).run();

describe("erasing expired previous secrets", () => {
  it("the events sweep erases destinations' previous secrets from their expiry on, and only those", async () => {
    const { key } = await newOrganization();
    const expiring = await createDestination(key);
    const later = await createDestination(key);
    await call("POST", `/v1/event_destinations/${expiring.id}/rotate_secret`, { key });
    await call("POST", `/v1/event_destinations/${later.id}/rotate_secret`, { key });
    await expireAt("event_destinations", expiring.id, EXPIRY);
    await expireAt("event_destinations", later.id, at(EXPIRY, 1).toISOString());
    const { queue } = capturingQueue();

    expect((await sweepEvents(env.DB, queue, at(EXPIRY, -1))).previousSecretsErased).toBe(0);
    expect((await sweepEvents(env.DB, queue, at(EXPIRY))).previousSecretsErased).toBe(1);
    expect(await holdingPrevious("event_destinations")).toEqual({ [expiring.id]: false, [later.id]: true });
    const expiry = await env.DB.prepare("SELECT previous_secret_expires_at AS at FROM event_destinations WHERE id = ?1")
      .bind(expiring.id)
      .first<{ at: string | null }>();
    expect(expiry?.at).toBeNull();
  });

  it("each clean-up touches only its own table", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    const endpoint = await createEndpoint(key);
    await call("POST", `/v1/event_destinations/${destination.id}/rotate_secret`, { key });
    await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { key });
    await expireAt("event_destinations", destination.id, EXPIRY);
    await expireAt("webhook_endpoints", endpoint.id, EXPIRY);
    const now = at(EXPIRY, 1000);

    expect((await sweepEvents(env.DB, capturingQueue().queue, now)).previousSecretsErased).toBe(1);
    expect(await holdingPrevious("event_destinations")).toEqual({ [destination.id]: false });
    expect(await holdingPrevious("webhook_endpoints")).toEqual({ [endpoint.id]: true });

    expect((await cleanUpWebhooks(env.DB, now)).previousSecretsErased).toBe(1);
    expect(await holdingPrevious("webhook_endpoints")).toEqual({ [endpoint.id]: false });
  });
});

describe("the previous-secret rule, shared by endpoints and destinations", () => {
  const row = { secret: "whsec_new", previous_secret: "whsec_old", previous_secret_expires_at: EXPIRY };

  it("a rotated-out secret is in force until its expiry, and not from the expiry on", () => {
    expect(secretsInForce(row, at(EXPIRY, -1))).toEqual(["whsec_new", "whsec_old"]);
    expect(secretsInForce(row, at(EXPIRY))).toEqual(["whsec_new"]);
    expect(secretsInForce({ ...row, previous_secret: null, previous_secret_expires_at: null }, at(EXPIRY, -1))).toEqual(
      ["whsec_new"],
    );
  });

  it("a rotation's previous secret expires after the grace period", () => {
    expect(previousSecretExpiresAt(Date.parse(EXPIRY))).toBe(
      new Date(Date.parse(EXPIRY) + PREVIOUS_SECRET_GRACE_MS).toISOString(),
    );
  });

  it("both rotations keep the replaced secret for the same grace period", async () => {
    const { key } = await newOrganization();
    const destination = await createDestination(key);
    const endpoint = await createEndpoint(key);
    const before = Date.now();
    const rotatedDestination = await call("POST", `/v1/event_destinations/${destination.id}/rotate_secret`, { key });
    const rotatedEndpoint = await call("POST", `/v1/webhook_endpoints/${endpoint.id}/rotate_secret`, { key });
    for (const rotated of [rotatedDestination, rotatedEndpoint]) {
      const expiresAt = Date.parse((rotated.body as { previous_secret_expires_at: string }).previous_secret_expires_at);
      expect(expiresAt - before).toBeGreaterThanOrEqual(PREVIOUS_SECRET_GRACE_MS);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(PREVIOUS_SECRET_GRACE_MS);
    }
  });
});
