import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { syncDueCustomers } from "../src/customers/gateway-sync";
import { GatewayRejected, GatewayUnreachable } from "../src/payment-gateway/gateway";
import type { GatewayFactory } from "../src/payment-gateway/payment-gateway.service";
import { testGateway } from "../src/payment-gateway/test-gateway";
import { stripeOrganization } from "./gateway-customers.stripe-helpers";
import { archive, call, createCustomer, customerPath, getCustomer, newOrganization } from "./helpers";
import { configureTestGateway } from "./money-helpers";

/** Spec section 11: changes of a linked customer reach its gateway customer in the background. */

type Billing = { customer_reference: string; sync_status: string; synced_at: string | null } | null;
type Customer = { id: string; billing: Billing };

afterEach(() => vi.restoreAllMocks());

const syncColumns = (id: string) =>
  env.DB.prepare(
    "SELECT billing_sync_status AS status, billing_sync_due_at AS due, billing_sync_attempts AS attempts FROM customers WHERE id = ?1",
  )
    .bind(id)
    .first<{ status: string | null; due: string | null; attempts: number }>();

/** Waits for the request's background work (the first attempt) to finish. */
async function settled(key: string, id: string, status: string): Promise<Customer> {
  for (let tries = 0; tries < 50; tries++) {
    const customer = (await getCustomer(key, id)).body as unknown as Customer;
    if (customer.billing?.sync_status === status) return customer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the sync never became ${status}`);
}

async function linkedWithTestGateway() {
  const org = await newOrganization();
  await configureTestGateway(org.key);
  const customer = (await createCustomer(org.key, {
    name: "Jenny",
    gateway_customer_reference: "gcus_test_with_cards",
  })) as unknown as Customer;
  return { ...org, customer };
}

/** A gateway whose updates fail as told, the rest as the test gateway. */
const scripted =
  (update: () => Promise<void>): GatewayFactory =>
  () => ({ ...testGateway(), updateCustomer: update });

describe("the sync mark", () => {
  it("a change to a mirrored field answers pending, then the first attempt syncs it", async () => {
    const { key, customer } = await linkedWithTestGateway();
    const patched = await call<Customer>("PATCH", customerPath(customer.id), { key, body: { name: "Jenny Doe" } });
    expect(patched.status).toBe(200);
    expect(patched.body.billing?.sync_status).toBe("pending");
    const synced = await settled(key, customer.id, "synced");
    expect(Date.parse(synced.billing?.synced_at ?? "")).toBeGreaterThan(Date.parse(customer.billing?.synced_at ?? ""));
    expect((await syncColumns(customer.id))?.due).toBeNull();
  });

  it("a change to another field marks nothing; an unlinked customer is never marked", async () => {
    const { key, customer } = await linkedWithTestGateway();
    const patched = await call<Customer>("PATCH", customerPath(customer.id), {
      key,
      body: { timezone: "Europe/Paris", company: "Acme" },
    });
    expect(patched.body.billing?.sync_status).toBe("synced");
    expect((await syncColumns(customer.id))?.due).toBeNull();
    const plain = await createCustomer(key, { name: "A" });
    await call("PATCH", customerPath(plain.id), { key, body: { name: "B" } });
    expect(await syncColumns(plain.id)).toEqual({ status: null, due: null, attempts: 0 });
  });

  it("a default billing address change marks the sync in its own batch; the Cron pushes it", async () => {
    const { key, customer } = await linkedWithTestGateway();
    const added = await call("POST", `${customerPath(customer.id)}/addresses`, {
      key,
      body: { type: "shipping", line1: "1 Main St", country: "US", is_default: true },
    });
    expect(added.status).toBe(201);
    expect((await syncColumns(customer.id))?.status).toBe("synced");
    await call("POST", `${customerPath(customer.id)}/addresses`, {
      key,
      body: { type: "billing", line1: "2 Main St", country: "DE", is_default: true },
    });
    expect((await syncColumns(customer.id))?.status).toBe("pending");
    const run = await syncDueCustomers(env.DB, env, new Date());
    expect(run.synced).toBeGreaterThanOrEqual(1);
    expect((await syncColumns(customer.id))?.status).toBe("synced");
  });
});

describe("retries and failures", () => {
  it("an unreachable gateway is retried on the events' schedule, then synced", async () => {
    const { key, customer } = await linkedWithTestGateway();
    // Mark it as a change would, with no first attempt (as after a crash right after the commit).
    await env.DB.prepare(
      "UPDATE customers SET billing_sync_status = 'pending', billing_sync_due_at = ?2, billing_sync_generation = billing_sync_generation + 1 WHERE id = ?1",
    )
      .bind(customer.id, new Date(Date.now() - 1000).toISOString())
      .run();
    const now = new Date();
    const down = scripted(async () => {
      throw new GatewayUnreachable("connection refused");
    });
    expect(await syncDueCustomers(env.DB, env, now, down)).toMatchObject({ retrying: 1 });
    const first = await syncColumns(customer.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1 });
    expect(Date.parse(first?.due ?? "")).toBe(now.getTime() + 5_000);
    // Not due yet: nothing happens.
    expect(await syncDueCustomers(env.DB, env, new Date(now.getTime() + 1_000), down)).toMatchObject({ retrying: 0 });
    const later = new Date(now.getTime() + 6_000);
    expect(await syncDueCustomers(env.DB, env, later, down)).toMatchObject({ retrying: 1 });
    expect(Date.parse((await syncColumns(customer.id))?.due ?? "")).toBe(later.getTime() + 5 * 60_000);
    expect(await syncDueCustomers(env.DB, env, new Date(later.getTime() + 5 * 60_000))).toMatchObject({ synced: 1 });
    const read = (await getCustomer(key, customer.id)).body as unknown as Customer;
    expect(read.billing?.sync_status).toBe("synced");
    expect(await syncColumns(customer.id)).toEqual({ status: "synced", due: null, attempts: 0 });
  });

  it("a refusal is failed at once, not retried; the next change tries again", async () => {
    const { key, customer } = await linkedWithTestGateway();
    await env.DB.prepare("UPDATE customers SET billing_sync_status = 'pending', billing_sync_due_at = ?2 WHERE id = ?1")
      .bind(customer.id, new Date(Date.now() - 1000).toISOString())
      .run();
    const refusing = scripted(async () => {
      throw new GatewayRejected("Invalid phone", "parameter_invalid_string", "phone");
    });
    expect(await syncDueCustomers(env.DB, env, new Date(), refusing)).toMatchObject({ failed: 1 });
    expect(await syncColumns(customer.id)).toMatchObject({ status: "failed", due: null });
    expect(((await getCustomer(key, customer.id)).body as unknown as Customer).billing?.sync_status).toBe("failed");
    await call("PATCH", customerPath(customer.id), { key, body: { phone: "+1 555 0100" } });
    await settled(key, customer.id, "synced");
  });

  it("archiving stops the sync and leaves the gateway customer in place", async () => {
    const { key, orgId, customer } = await linkedWithTestGateway();
    await env.DB.prepare("UPDATE customers SET billing_sync_status = 'pending', billing_sync_due_at = ?2 WHERE id = ?1")
      .bind(customer.id, new Date(Date.now() - 1000).toISOString())
      .run();
    await archive(key, customer.id);
    expect((await syncColumns(customer.id))?.due).toBeNull();
    const update = vi.fn(async () => {});
    expect(await syncDueCustomers(env.DB, env, new Date(), scripted(update))).toMatchObject({ synced: 0 });
    expect(update).not.toHaveBeenCalled();
    const kept = await env.DB.prepare("SELECT reference FROM gateway_customers WHERE org_id = ?1 AND customer_id = ?2")
      .bind(orgId, customer.id)
      .first<{ reference: string }>();
    expect(kept?.reference).toBe("gcus_test_with_cards");
  });
});

describe("against the Stripe adapter (stubbed fetch)", () => {
  it("links, imports the cards and pushes a change with a key per change", async () => {
    const { key, stripe } = await stripeOrganization();
    const created = await call<Customer & { has_payment_method: boolean }>("POST", "/v1/customers", {
      key,
      body: { email: "jenny@example.com", gateway_customer_reference: "cus_Existing", import_payment_methods: true },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.billing).toMatchObject({ customer_reference: "cus_Existing", sync_status: "synced" });
    expect(created.body.has_payment_method).toBe(true);
    const methods = await call<{
      data: {
        gateway: string;
        gateway_reference: string;
        brand: string;
        last4: string;
        exp_month: number;
        exp_year: number;
        is_default: boolean;
      }[];
    }>("GET", `${customerPath(created.body.id)}/payment_methods`, { key });
    expect(
      methods.body.data.map((method) => [
        method.gateway,
        method.gateway_reference,
        method.brand,
        method.last4,
        method.exp_month,
        method.exp_year,
        method.is_default,
      ]),
    ).toEqual([
      ["stripe", "pm_1Visa", "visa", "4242", 8, 2031, false],
      ["stripe", "pm_1Master", "mastercard", "4444", 8, 2031, true],
    ]);
    const patched = await call<Customer>("PATCH", customerPath(created.body.id), {
      key,
      body: { name: "Jenny Doe", language: "pt-BR" },
    });
    expect(patched.body.billing?.sync_status).toBe("pending");
    await settled(key, created.body.id, "synced");
    const pushes = stripe.requests.filter(
      (request) => request.method === "POST" && request.path === "/v1/customers/cus_Existing",
    );
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.form.get("name")).toBe("Jenny Doe");
    expect(pushes[0]?.form.get("email")).toBe("jenny@example.com");
    expect(pushes[0]?.form.get("preferred_locales[0]")).toBe("pt-BR");
    expect(pushes[0]?.idempotencyKey).toMatch(/^roster-customer-sync-/);
  });

  it("an unknown Stripe customer is 422 and nothing is written; a 5xx on a push is retried", async () => {
    let status = 500;
    const { key, orgId, stripe } = await stripeOrganization({ updateStatus: () => status });
    const refused = await call("POST", "/v1/customers", { key, body: { gateway_customer_reference: "cus_Missing" } });
    expect(refused.status).toBe(422);
    expect((refused.body as { detail: string }).detail).toContain("resource_missing");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE org_id = ?1")
      .bind(orgId)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
    const customer = (await createCustomer(key, { gateway_customer_reference: "cus_Existing" })) as unknown as Customer;
    await call("PATCH", customerPath(customer.id), { key, body: { email: "new@example.com" } });
    for (let tries = 0; tries < 50 && (await syncColumns(customer.id))?.attempts !== 1; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await syncColumns(customer.id)).toMatchObject({ status: "pending", attempts: 1 });
    status = 200;
    const due = Date.parse((await syncColumns(customer.id))?.due ?? "");
    expect(await syncDueCustomers(env.DB, env, new Date(due))).toMatchObject({ synced: 1 });
    const pushes = stripe.requests.filter(
      (request) => request.path === "/v1/customers/cus_Existing" && request.method === "POST",
    );
    // The retry sends the same change with the same key.
    expect(pushes.map((push) => push.idempotencyKey)).toEqual([pushes[0]?.idempotencyKey, pushes[0]?.idempotencyKey]);
  });
});
