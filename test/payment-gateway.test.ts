import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PaymentGateway as GatewayPort } from "../src/payment-gateway/gateway";
import { GatewayRejected } from "../src/payment-gateway/gateway";
import type { PaymentGatewayObject } from "../src/payment-gateway/payment-gateway.schemas";
import * as gatewayService from "../src/payment-gateway/payment-gateway.service";
import { testGateway } from "../src/payment-gateway/test-gateway";
import { call, expectProblem, expectValidationFailed, newOrganization } from "./helpers";

const STRIPE_KEY = "sk_test_51HxQzLkdIwHu7ixAbCdEfGh0123456789xyzWq4242";

/** A Stripe stand-in for the service (the Stripe adapter is built elsewhere): accepts or refuses the key. */
function scriptedStripe(answer: "accept" | "refuse"): gatewayService.GatewayFactory {
  return (credentials) =>
    ({
      ...testGateway(),
      type: "stripe",
      async verifyCredentials() {
        if (answer === "refuse")
          throw new GatewayRejected("Invalid API Key provided: sk_test_****4242", "api_key_invalid");
        if (credentials.secretKey !== STRIPE_KEY) throw new Error("the adapter was not given the key");
      },
    }) satisfies GatewayPort;
}

const deps = (orgId: string, adapters: gatewayService.GatewayFactory) => ({
  db: env.DB,
  orgId,
  settings: env,
  adapters,
});

const storedRows = () => env.DB.prepare("SELECT * FROM payment_gateways").all<Record<string, unknown>>();

describe("PUT|GET|DELETE /v1/payment_gateway", () => {
  it("configures the test gateway, reads it, removes it", async () => {
    const { key } = await newOrganization();
    expectProblem(await call("GET", "/v1/payment_gateway", { key }), 404, "not_found");
    const put = await call<PaymentGatewayObject>("PUT", "/v1/payment_gateway", { key, body: { type: "test" } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ object: "payment_gateway", type: "test", secret_key: null });
    const got = await call<PaymentGatewayObject>("GET", "/v1/payment_gateway", { key });
    expect(got.body).toEqual(put.body);
    const again = await call<PaymentGatewayObject>("PUT", "/v1/payment_gateway", { key, body: { type: "test" } });
    expect(again.body.created_at).toBe(put.body.created_at);
    const deleted = await call("DELETE", "/v1/payment_gateway", { key });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ object: "payment_gateway", type: "test", deleted: true });
    expectProblem(await call("GET", "/v1/payment_gateway", { key }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/payment_gateway", { key }), 404, "not_found");
  });

  it("is per organization", async () => {
    const first = await newOrganization();
    const second = await newOrganization();
    await call("PUT", "/v1/payment_gateway", { key: first.key, body: { type: "test" } });
    expectProblem(await call("GET", "/v1/payment_gateway", { key: second.key }), 404, "not_found");
    expectProblem(await call("DELETE", "/v1/payment_gateway", { key: second.key }), 404, "not_found");
    expect((await call("GET", "/v1/payment_gateway", { key: first.key })).status).toBe(200);
  });

  it.each([
    [{ type: "paypal" }, ["/type"]],
    [{ type: "test", secret_key: STRIPE_KEY }, ["/secret_key"]],
    [{ type: "stripe" }, ["/secret_key"]],
    [{ type: "stripe", secret_key: "pk_test_123456789abc" }, ["/secret_key"]],
    [{ type: "stripe", secret_key: STRIPE_KEY, extra: 1 }, ["/extra"]],
  ])("refuses %j with 400 naming the field, nothing stored", async (body, pointers) => {
    const { key } = await newOrganization();
    const response = await call("PUT", "/v1/payment_gateway", { key, body });
    const problem = expectValidationFailed(response, pointers);
    expect(response.text).not.toContain(STRIPE_KEY);
    expect(problem.detail).not.toContain(STRIPE_KEY);
    expect((await storedRows()).results).toEqual([]);
  });

  it("a Stripe key with no Stripe adapter reachable is 502 gateway_unavailable, nothing stored", async () => {
    const { key } = await newOrganization();
    const response = await call("PUT", "/v1/payment_gateway", {
      key,
      body: { type: "stripe", secret_key: STRIPE_KEY },
    });
    expectProblem(response, 502, "gateway_unavailable");
    expect(response.text).not.toContain(STRIPE_KEY.slice(8));
    expect((await storedRows()).results).toEqual([]);
  });
});

describe("a Stripe key at rest", () => {
  it("is encrypted in D1 and masked on every read", async () => {
    const { key, orgId } = await newOrganization();
    await gatewayService.put(deps(orgId, scriptedStripe("accept")), { type: "stripe", secret_key: STRIPE_KEY });
    const [row] = (await storedRows()).results;
    expect(row).toBeDefined();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(STRIPE_KEY);
    expect(stored).not.toContain(STRIPE_KEY.slice(8, 30));
    expect(row?.secret_key_masked).toBe("sk_test_…4242");
    expect(typeof row?.secret_key_ciphertext).toBe("string");
    expect(String(row?.secret_key_iv)).toMatch(/^[A-Za-z0-9+/]{16}$/);
    expect(String(row?.secret_key_key_id)).toMatch(/^[0-9a-f]{16}$/);
    const got = await call<PaymentGatewayObject>("GET", "/v1/payment_gateway", { key });
    expect(got.body).toMatchObject({ type: "stripe", secret_key: "sk_test_…4242" });
    expect(got.text).not.toContain(STRIPE_KEY);
    // The money path decrypts it for the adapter (scriptedStripe checks it was given the key).
    const opened = await gatewayService.openGateway(deps(orgId, scriptedStripe("accept")));
    await expect(opened.gateway.verifyCredentials()).resolves.toBeUndefined();
  });

  it("does not decrypt under another organization's id (the ciphertext is bound to its row)", async () => {
    const first = await newOrganization();
    const second = await newOrganization();
    await gatewayService.put(deps(first.orgId, scriptedStripe("accept")), { type: "stripe", secret_key: STRIPE_KEY });
    await env.DB.prepare(
      `INSERT INTO payment_gateways (org_id, id, type, secret_key_ciphertext, secret_key_iv, secret_key_key_id,
         secret_key_masked, created_at, updated_at)
       SELECT ?1, 'gw_copied', type, secret_key_ciphertext, secret_key_iv, secret_key_key_id, secret_key_masked,
         created_at, updated_at FROM payment_gateways WHERE org_id = ?2`,
    )
      .bind(second.orgId, first.orgId)
      .run();
    await expect(gatewayService.openGateway(deps(second.orgId, scriptedStripe("accept")))).rejects.toMatchObject({
      code: "configuration_missing",
    });
  });

  it("a key Stripe refuses is 422 gateway_rejected and is not stored", async () => {
    const { orgId } = await newOrganization();
    await expect(
      gatewayService.put(deps(orgId, scriptedStripe("refuse")), { type: "stripe", secret_key: STRIPE_KEY }),
    ).rejects.toMatchObject({ code: "gateway_rejected", status: 422 });
    expect((await storedRows()).results).toEqual([]);
  });

  it("survives a key rotation: readable with the previous key, re-sealed under the new one by the Cron", async () => {
    const { orgId } = await newOrganization();
    await gatewayService.put(deps(orgId, scriptedStripe("accept")), { type: "stripe", secret_key: STRIPE_KEY });
    const before = (await storedRows()).results[0];
    const rotated = {
      ...env,
      GATEWAY_ENCRYPTION_KEY: "W0SgQD4lxrC5tTkfP5K8o6lftObgPTuX3TDW0zPuXq8=",
      // vitest.config.ts's value
      GATEWAY_ENCRYPTION_KEY_PREVIOUS: "vsv4Dqc979nau09PBIagbaHOC7i0rQ4JqzTKbrPLWGA=",
    };
    const rotatedDeps = { ...deps(orgId, scriptedStripe("accept")), settings: rotated };
    await expect(gatewayService.openGateway(rotatedDeps)).resolves.toBeDefined();
    expect(await gatewayService.resealGatewayKeys(env.DB, rotated)).toEqual({ resealed: 1, failed: 0 });
    const after = (await storedRows()).results[0];
    expect(after?.secret_key_key_id).not.toBe(before?.secret_key_key_id);
    expect(after?.secret_key_ciphertext).not.toBe(before?.secret_key_ciphertext);
    // The previous key is no longer needed.
    const onlyNew = { ...rotated, GATEWAY_ENCRYPTION_KEY_PREVIOUS: undefined };
    const opened = await gatewayService.openGateway({ ...rotatedDeps, settings: onlyNew });
    await expect(opened.gateway.verifyCredentials()).resolves.toBeUndefined();
    // And the old key alone no longer opens it.
    await expect(gatewayService.openGateway(deps(orgId, scriptedStripe("accept")))).rejects.toMatchObject({
      code: "configuration_missing",
    });
  });
});

describe("GATEWAY_ENCRYPTION_KEY", () => {
  const without = () => ({ ...env, GATEWAY_ENCRYPTION_KEY: undefined });

  it.each([
    ["PUT", { type: "test" }],
    ["GET", undefined],
    ["DELETE", undefined],
  ])("%s without it is 503 configuration_missing naming it, nothing written", async (method, body) => {
    const { key } = await newOrganization();
    const response = await call(method, "/v1/payment_gateway", { key, body, env: without() });
    const problem = expectProblem(response, 503, "configuration_missing");
    expect(problem.detail).toContain("GATEWAY_ENCRYPTION_KEY");
    expect((await storedRows()).results).toEqual([]);
  });

  it("a malformed one is 503 configuration_missing too, before the body is looked at", async () => {
    const { key } = await newOrganization();
    const response = await call("PUT", "/v1/payment_gateway", {
      key,
      body: { type: "nonsense" },
      env: { ...env, GATEWAY_ENCRYPTION_KEY: "c2hvcnQ=" },
    });
    expect(expectProblem(response, 503, "configuration_missing").detail).toContain("GATEWAY_ENCRYPTION_KEY");
  });

  it("an unauthenticated request is still 401 first", async () => {
    expectProblem(await call("GET", "/v1/payment_gateway", { env: without() }), 401, "unauthorized");
  });
});
