import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventsOutbox } from "../src/events/outbox";
import worker from "../src/index";
import type { Db } from "../src/lib/db";
import { type CreditInput, creditFromPaymentMethod, type MoneyDeps } from "../src/money/credit.service";
import { resolvePendingCharges } from "../src/money/resolver";
import {
  type ChargeOutcome,
  type ChargeRequest,
  GatewayUnreachable,
  type PaymentGateway,
} from "../src/payment-gateway/gateway";
import type { GatewayFactory } from "../src/payment-gateway/payment-gateway.service";
import { testGateway } from "../src/payment-gateway/test-gateway";
import { call } from "./helpers";
import { count, eventsOf, expectLedgerConsistent, moneySetup } from "./money-helpers";

/**
 * The crash windows of a credit (docs/money.md): the service driven directly, with a gateway
 * that behaves as Stripe's idempotency does (a key charges once; every repeat answers the
 * original outcome) but can hide its answer, and a D1 handle that can fail one batch.
 */

type Script = {
  /** How many asks in a row answer "unknown" (after charging on the first). */
  hideAnswers?: number;
  /** Throw before charging, this many times (a send that died on the way: outcome unknown to Roster). */
  dieBeforeCharging?: number;
  unreachable?: boolean;
};

function scriptedGateway(script: Script) {
  const charged = new Map<string, ChargeOutcome>();
  let asks = 0;
  let hidden = 0;
  let died = 0;
  const inner = testGateway();
  const gateway: PaymentGateway = {
    ...inner,
    async charge(request: ChargeRequest) {
      asks++;
      if (script.unreachable) throw new GatewayUnreachable("connection refused");
      if (died < (script.dieBeforeCharging ?? 0)) {
        died++;
        throw new Error("the connection was reset before the request left");
      }
      const outcome = charged.get(request.idempotencyKey) ?? (await inner.charge(request));
      charged.set(request.idempotencyKey, outcome);
      if (hidden < (script.hideAnswers ?? 0)) {
        hidden++;
        return { status: "unknown", reference: null };
      }
      return outcome;
    },
  };
  const adapters: GatewayFactory = () => gateway;
  return { adapters, charges: () => charged.size, asks: () => asks };
}

/** A D1 handle that throws `error` on every batch that records a charge's outcome, until healed. */
function failingOutcomeBatches(db: D1Database, error: () => Error) {
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  let failing = true;
  const handle: Db = {
    prepare(sql: string) {
      const statement = db.prepare(sql);
      return new Proxy(statement, {
        get(target, name) {
          if (name === "bind") {
            return (...values: unknown[]) => {
              const bound = target.bind(...values);
              sqlOf.set(bound, sql);
              return bound;
            };
          }
          const member = Reflect.get(target, name);
          return typeof member === "function" ? member.bind(target) : member;
        },
      });
    },
    batch(statements) {
      if (failing && statements.some((statement) => sqlOf.get(statement)?.includes("UPDATE charges SET status"))) {
        return Promise.reject(error());
      }
      return db.batch(statements);
    },
  };
  return { db: handle, heal: () => (failing = false) };
}

const quietOutbox: EventsOutbox = { requestId: null, committed() {} };

async function setup(reference = "pm_card_visa") {
  const { key, orgId, customer, card } = await moneySetup(reference);
  const input: CreditInput = {
    customerId: customer.id,
    paymentMethodId: card.id,
    amount: 1200,
    currency: "usd",
    description: null,
  };
  const deps = (adapters: GatewayFactory, db: Db = env.DB, requestKey: string | null = null): MoneyDeps => ({
    db,
    orgId,
    settings: env,
    events: quietOutbox,
    requestKey,
    adapters,
  });
  return { key, orgId, customer, input, deps };
}

const resolveAt = (adapters: GatewayFactory, at: Date) => resolvePendingCharges(env.DB, env, quietOutbox, at, adapters);

const minutesFromNow = (minutes: number) => new Date(Date.now() + minutes * 60_000);

const storedCharge = () => env.DB.prepare("SELECT * FROM charges").first<Record<string, unknown>>();

describe("a credit whose outcome is unknown", () => {
  it("asks again at once with the same key, then answers 202 pending; the resolver records it once", async () => {
    const { orgId, customer, input, deps } = await setup();
    const gateway = scriptedGateway({ hideAnswers: 2 });
    const result = await creditFromPaymentMethod(deps(gateway.adapters), input);
    expect(result.status).toBe(202);
    expect(gateway.asks()).toBe(2);
    expect(result.status === 202 && result.charge.status).toBe("pending");
    expect(await count("balance_transactions")).toBe(0);
    // Not due yet: the resolver leaves it alone.
    expect(await resolveAt(gateway.adapters, new Date())).toEqual({ resolved: 0, pending: 0, failed: 0 });
    expect(await resolveAt(gateway.adapters, minutesFromNow(3))).toEqual({ resolved: 1, pending: 0, failed: 0 });
    expect(await storedCharge()).toMatchObject({
      status: "succeeded",
      gateway_reference: expect.stringMatching(/^pi_test_/),
    });
    expect(await count("balance_transactions")).toBe(1);
    expect(gateway.charges()).toBe(1);
    const types = (await eventsOf(orgId, customer.id)).map((event) => event.type);
    expect(types.slice(-2)).toEqual(["charge.succeeded", "balance_transaction.created"]);
    // Settled: later runs find nothing to do.
    expect(await resolveAt(gateway.adapters, minutesFromNow(60))).toEqual({ resolved: 0, pending: 0, failed: 0 });
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("keeps asking while the gateway does not know, then records a decline as failed", async () => {
    const { orgId, customer, input, deps } = await setup("pm_card_chargeDeclined");
    const gateway = scriptedGateway({ hideAnswers: 3 });
    expect((await creditFromPaymentMethod(deps(gateway.adapters), input)).status).toBe(202);
    expect(await resolveAt(gateway.adapters, minutesFromNow(3))).toMatchObject({ resolved: 0, pending: 1 });
    expect(await resolveAt(gateway.adapters, minutesFromNow(10))).toMatchObject({ resolved: 1 });
    expect(await storedCharge()).toMatchObject({ status: "failed", decline_code: "generic_decline" });
    expect(await count("balance_transactions")).toBe(0);
    expect((await eventsOf(orgId, customer.id)).at(-1)?.type).toBe("charge.failed");
  });
});

describe("crash windows", () => {
  it("the gateway charged, then D1 failed to record it: 202, and the resolver ends with one charge and one credit", async () => {
    const { orgId, customer, input, deps } = await setup();
    const gateway = scriptedGateway({});
    const failing = failingOutcomeBatches(env.DB, () => new Error("D1_ERROR: injected outcome failure"));
    const result = await creditFromPaymentMethod(deps(gateway.adapters, failing.db), input);
    expect(result.status).toBe(202);
    expect(await storedCharge()).toMatchObject({ status: "pending" });
    expect(await count("balance_transactions")).toBe(0);
    await resolveAt(gateway.adapters, minutesFromNow(3));
    await resolveAt(gateway.adapters, minutesFromNow(30));
    expect(gateway.charges()).toBe(1);
    expect(await count("charges")).toBe(1);
    expect(await count("balance_transactions")).toBe(1);
    expect(await storedCharge()).toMatchObject({ status: "succeeded" });
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("the request died after the gateway charged: its retry (same Idempotency-Key) and the resolver credit once", async () => {
    const { orgId, customer, input, deps } = await setup();
    const gateway = scriptedGateway({});
    const dying = failingOutcomeBatches(env.DB, () => new Error("the isolate was terminated"));
    await expect(creditFromPaymentMethod(deps(gateway.adapters, dying.db, "key-1"), input)).rejects.toThrow(
      "terminated",
    );
    expect(await storedCharge()).toMatchObject({ status: "pending" });
    const chargeId = (await storedCharge())?.id;
    // The retry and the resolver race; both ask with the charge's own key.
    const [retried] = await Promise.all([
      creditFromPaymentMethod(deps(gateway.adapters, env.DB, "key-1"), input),
      resolveAt(gateway.adapters, minutesFromNow(3)),
    ]);
    expect(retried.status).toBe(201);
    expect(retried.status === 201 && retried.transaction.charge?.id).toBe(chargeId);
    expect(gateway.charges()).toBe(1);
    expect(await count("charges")).toBe(1);
    expect(await count("balance_transactions")).toBe(1);
    const types = (await eventsOf(orgId, customer.id)).map((event) => event.type);
    expect(types.filter((type) => type === "charge.succeeded")).toHaveLength(1);
    expect(types.filter((type) => type === "balance_transaction.created")).toHaveLength(1);
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("the request died after the pending row, before the gateway got it: the resolver charges it once", async () => {
    const { orgId, customer, input, deps } = await setup();
    const gateway = scriptedGateway({ dieBeforeCharging: 2 });
    expect((await creditFromPaymentMethod(deps(gateway.adapters), input)).status).toBe(202);
    expect(gateway.charges()).toBe(0);
    await resolveAt(gateway.adapters, minutesFromNow(3));
    await resolveAt(gateway.adapters, minutesFromNow(30));
    expect(gateway.charges()).toBe(1);
    expect(await count("balance_transactions")).toBe(1);
    await expectLedgerConsistent(orgId, customer.id);
  });

  it("a gateway never reached: 502 gateway_unavailable, and nothing stays", async () => {
    const { input, deps } = await setup();
    const gateway = scriptedGateway({ unreachable: true });
    await expect(creditFromPaymentMethod(deps(gateway.adapters), input)).rejects.toMatchObject({
      code: "gateway_unavailable",
      status: 502,
    });
    expect(await count("charges")).toBe(0);
    expect(await count("customer_balances")).toBe(0);
    expect(await resolveAt(gateway.adapters, minutesFromNow(30))).toEqual({ resolved: 0, pending: 0, failed: 0 });
  });

  it("a pending charge whose gateway was removed waits until the same gateway is put back", async () => {
    const { key, input, deps } = await setup();
    const gateway = scriptedGateway({ hideAnswers: 2 });
    expect((await creditFromPaymentMethod(deps(gateway.adapters), input)).status).toBe(202);
    await env.DB.prepare("DELETE FROM payment_gateways").run();
    expect(await resolveAt(gateway.adapters, minutesFromNow(3))).toMatchObject({ resolved: 0, pending: 1 });
    await call("PUT", "/v1/payment_gateway", { key, body: { type: "test" } });
    expect(await resolveAt(gateway.adapters, minutesFromNow(3 + 61))).toMatchObject({ resolved: 1 });
    expect(await count("balance_transactions")).toBe(1);
  });

  it("the Worker's 5-minute Cron runs the resolver (through the organization's own gateway)", async () => {
    const { input, deps } = await setup();
    const gateway = scriptedGateway({ hideAnswers: 2 });
    expect((await creditFromPaymentMethod(deps(gateway.adapters), input)).status).toBe(202);
    const at = (cron: string) => createScheduledController({ scheduledTime: minutesFromNow(3).getTime(), cron });
    await worker.scheduled(at("*/30 * * * *"), env);
    expect(await storedCharge()).toMatchObject({ status: "pending" });
    await worker.scheduled(at("*/5 * * * *"), env);
    expect(await storedCharge()).toMatchObject({ status: "succeeded" });
    expect(await count("balance_transactions")).toBe(1);
  });
});
