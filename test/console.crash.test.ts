import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { consolePath, fetchConsole, formFields, getPage, ORIGIN, signIn } from "./console-helpers";
import { call, createCustomer, newOrganization } from "./helpers";
import { d1DyingAfterCommit } from "./storage-doubles";

// Issue 21 for the console's forms: a Worker killed right after a form's change committed.
// The same form sent again (once the dead request's lock would have expired) must get the
// redirect the change committed with, never act a second time.

const count = async (sql: string, ...values: unknown[]) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${sql}`)
      .bind(...values)
      .first<{ n: number }>()
  )?.n ?? -1;

/** What a running lock left by a dead Worker looks like 60 s later: expired, so it may be taken over. */
async function expireLock(orgId: string, formToken: string) {
  await env.DB.prepare(
    "UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE org_id = ?1 AND key_hash = ?2 AND state = 'running'",
  )
    .bind(orgId, await sha256Hex(`console-form:${formToken}`))
    .run();
}

const post = (path: string, cookie: string, fields: Record<string, string>, db?: D1Database) =>
  fetchConsole(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: ORIGIN, Cookie: cookie },
    body: new URLSearchParams(fields).toString(),
    env: db ? { ...env, DB: db } : env,
  });

/**
 * Opens `pagePath`, sends its form `action` (with `changes`) on a D1 that dies right after the
 * batch matching `commit`, then sends the very same form again on a healthy one.
 */
async function crashThenResubmit(
  orgId: string,
  cookie: string,
  pagePath: string,
  action: string,
  commit: RegExp,
  changes: Record<string, string> = {},
) {
  const page = await getPage(pagePath, cookie);
  expect(page.status, page.html).toBe(200);
  const fields = { ...formFields(page.html, action), ...changes };
  const dying = d1DyingAfterCommit(env.DB, commit);
  const first = await post(action, cookie, fields, dying.db);
  expect(dying.died()).toBe(true);
  await expireLock(orgId, fields.form_token ?? "");
  const again = await post(action, cookie, fields);
  return { first, again };
}

describe("a console form whose change committed right before the Worker died", () => {
  it("archive: the form sent again gets the redirect; one archive, one event", async () => {
    const { orgId, key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Crash" });
    const path = consolePath(customer.id);
    const { again } = await crashThenResubmit(orgId, cookie, path, `${path}/archive`, /archived_at = \?1/, {
      confirm_id: customer.id,
    });
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${path}?notice=archived`);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await count("events WHERE org_id = ?1 AND type = 'customer.archived'", orgId)).toBe(1);
  });

  it("create a key: the form sent again gets the redirect to the key list; one key created", async () => {
    const { orgId, key } = await newOrganization();
    const cookie = await signIn(key);
    const before = await count("api_keys WHERE org_id = ?1", orgId);
    const { again } = await crashThenResubmit(
      orgId,
      cookie,
      "/console/api-keys",
      "/console/api-keys",
      /INSERT INTO api_keys/,
      { name: "crash" },
    );
    expect(again.status).toBe(303);
    expect(again.location).toBe("/console/api-keys");
    expect(again.html).toBe("");
    expect(await count("api_keys WHERE org_id = ?1", orgId)).toBe(before + 1);
  });

  it("adjust a balance: the form sent again gets the redirect; one balance transaction", async () => {
    const { orgId, key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const path = consolePath(customer.id);
    const { again } = await crashThenResubmit(
      orgId,
      cookie,
      path,
      `${path}/balance-adjustments`,
      /INSERT INTO balance_transactions/,
      { amount: "1250", currency: "usd", description: "goodwill" },
    );
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${path}?notice=balance_adjusted`);
    expect(await count("balance_transactions WHERE org_id = ?1", orgId)).toBe(1);
    const balance = await env.DB.prepare("SELECT amount FROM customer_balances WHERE org_id = ?1")
      .bind(orgId)
      .first<{ amount: number }>();
    expect(balance?.amount).toBe(1250);
  });

  it("replay: the form sent again gets the redirect; the events are replayed once", async () => {
    const { orgId, key } = await newOrganization();
    const cookie = await signIn(key);
    const destination = await call<{ id: string }>("POST", "/v1/event_destinations", {
      key,
      body: { url: "http://127.0.0.1:9999/hook" },
    });
    await createCustomer(key, { name: "Replayed" });
    const deliveries = () => count("event_deliveries WHERE org_id = ?1", orgId);
    const before = await deliveries();
    const action = `/console/event-destinations/${destination.body.id}/replay`;
    const { again } = await crashThenResubmit(
      orgId,
      cookie,
      "/console/event-destinations",
      action,
      /SET last_replay_at = \?3/,
      { since: "2026-01-01T00:00" },
    );
    expect(again.status).toBe(303);
    expect(again.location).toBe("/console/event-destinations?notice=replayed");
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await deliveries()).toBe(before + 1);
  });

  it("a refused form keeps nothing: sent again, it runs again", async () => {
    const { orgId, key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, {});
    const path = consolePath(customer.id);
    const page = await getPage(path, cookie);
    const fields = { ...formFields(page.html, `${path}/archive`), confirm_id: "not-the-id" };
    expect((await post(`${path}/archive`, cookie, fields)).status).toBe(400);
    expect(await count("idempotency_keys WHERE org_id = ?1", orgId)).toBe(0);
    expect((await post(`${path}/archive`, cookie, fields)).status).toBe(400);
  });
});
