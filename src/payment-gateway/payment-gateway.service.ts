import { sha256Hex } from "../lib/crypto";
import type { Db } from "../lib/db";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/fields";
import { type KeepAnswer, keepNothing } from "../lib/kept-answer";
import { logError } from "../lib/logger";
import { GO_ROUND, retryWhileChanging } from "../lib/retry";
import { open, seal } from "../lib/secret-box";
import { type EncryptionSettings, gatewayKeyRing, undecryptableGatewayKey } from "./configuration";
import type { GatewayType, PaymentGateway } from "./gateway";
import { askGateway } from "./gateway-errors";
import { type GatewayAdapterSettings, gatewayFor } from "./gateway-registry";
import * as repo from "./payment-gateway.repository";

/**
 * An organization's payment gateway (spec section 11): storing it (a Stripe key is checked
 * with Stripe first, then sealed with GATEWAY_ENCRYPTION_KEY), reading it masked, removing it,
 * and opening it for money operations. The secret key exists in plain text only in memory,
 * for the call that needs it: it is never logged, never in a problem detail, never answered.
 */

export type { GatewayConfigRow } from "./payment-gateway.repository";

export type GatewaySettings = EncryptionSettings & GatewayAdapterSettings;

/** Builds adapters: `gatewayFor`, or a stand-in where a test must script the gateway's answers. */
export type GatewayFactory = typeof gatewayFor;

export type GatewayDeps = { db: Db; orgId: string; settings: GatewaySettings; adapters?: GatewayFactory };

export type GatewayInput = { type: "test" } | { type: "stripe"; secret_key: string };

/** An opened gateway: its configuration row and the adapter that talks to it. */
export type OpenedGateway = { config: repo.GatewayConfigRow; gateway: PaymentGateway };

const STRIPE_KEY_PREFIX = /^(?:sk|rk)_(?:(?:test|live)_)?/;

/** `sk_test_…4242`: the key's kind and mode, then its last four characters. */
export function maskSecretKey(secretKey: string): string {
  const prefix = STRIPE_KEY_PREFIX.exec(secretKey)?.[0] ?? "";
  return `${prefix}…${secretKey.slice(-4)}`;
}

/**
 * The configuration's id: the same organization, type and key always give the same id, so a
 * PUT of the key already stored (or stored before a DELETE) keeps reaching the gateway
 * customers and pending charges made through it. SHA-256 of a random secret key reveals nothing
 * of it (as API keys are stored).
 */
async function configurationId(orgId: string, type: GatewayType, secretKey: string | null): Promise<string> {
  return `gw_${(await sha256Hex(`${orgId}\n${type}\n${secretKey ?? ""}`)).slice(0, 26)}`;
}

/**
 * Stores the gateway; its answer (`keep`) commits with it. The row the write leaves is known
 * before it runs (`created_at` stays when the same configuration is stored again), so the kept
 * answer acts only where that row is what the write left.
 */
export async function put(
  deps: GatewayDeps,
  input: GatewayInput,
  keep: KeepAnswer<repo.GatewayConfigRow> = keepNothing,
): Promise<repo.GatewayConfigRow> {
  const ring = await gatewayKeyRing(deps.settings);
  const secretKey = input.type === "stripe" ? input.secret_key : null;
  if (input.type === "stripe") {
    const adapters = deps.adapters ?? gatewayFor;
    await askGateway(() => adapters({ type: "stripe", secretKey }, deps.settings).verifyCredentials());
  }
  const id = await configurationId(deps.orgId, input.type, secretKey);
  const sealed = secretKey === null ? null : await seal(ring, secretKey, deps.orgId);
  const masked = secretKey === null ? null : maskSecretKey(secretKey);
  const now = nowIso();
  const stored = await repo.findGatewayConfig(deps.db, deps.orgId);
  const predicted: repo.GatewayConfigRow = {
    org_id: deps.orgId,
    id,
    type: input.type,
    secret_key_ciphertext: sealed?.ciphertext ?? null,
    secret_key_iv: sealed?.iv ?? null,
    secret_key_key_id: sealed?.keyId ?? null,
    secret_key_masked: masked,
    created_at: stored?.id === id ? stored.created_at : now,
    updated_at: now,
  };
  const kept = keep(predicted, repo.gatewayConfigIs(deps.orgId, predicted));
  return repo.upsertGatewayConfig(deps.db, deps.orgId, { id, type: input.type, sealed, masked }, now, kept);
}

const noGateway = () => new ApiError("not_found", "This organization has no payment gateway.");

export async function get(deps: GatewayDeps): Promise<repo.GatewayConfigRow> {
  const row = await repo.findGatewayConfig(deps.db, deps.orgId);
  if (!row) throw noGateway();
  return row;
}

/**
 * Removes the gateway the organization has; its answer (`keep`) commits with the deletion. The
 * deletion names the configuration read, so a PUT landing in between is read again, not
 * answered for.
 */
export async function remove(
  deps: GatewayDeps,
  keep: KeepAnswer<repo.GatewayConfigRow> = keepNothing,
): Promise<repo.GatewayConfigRow> {
  return retryWhileChanging({ record: "payment gateway", change: "removal" }, async () => {
    const stored = await repo.findGatewayConfig(deps.db, deps.orgId);
    if (!stored) throw noGateway();
    const kept = keep(stored, repo.gatewayConfigIs(deps.orgId, stored));
    const deleted = await repo.deleteGatewayConfig(deps.db, deps.orgId, stored.id, kept);
    if (deleted) return deleted;
    return GO_ROUND;
  });
}

async function secretKeyOf(settings: GatewaySettings, row: repo.GatewayConfigRow): Promise<string | null> {
  if (row.secret_key_ciphertext === null) return null;
  const ring = await gatewayKeyRing(settings);
  const secretKey = await open(
    ring,
    { ciphertext: row.secret_key_ciphertext, iv: row.secret_key_iv ?? "", keyId: row.secret_key_key_id ?? "" },
    row.org_id,
  );
  if (secretKey === null) throw undecryptableGatewayKey();
  return secretKey;
}

async function opened(
  settings: GatewaySettings,
  config: repo.GatewayConfigRow,
  adapters: GatewayFactory = gatewayFor,
): Promise<OpenedGateway> {
  const secretKey = await secretKeyOf(settings, config);
  const gateway = await askGateway(async () => adapters({ type: config.type, secretKey }, settings));
  return { config, gateway };
}

/** The organization's gateway for a money operation; `409 gateway_not_configured` without one. */
export async function openGateway(deps: GatewayDeps): Promise<OpenedGateway> {
  const config = await repo.findGatewayConfig(deps.db, deps.orgId);
  if (!config) {
    throw new ApiError(
      "gateway_not_configured",
      "This organization has no payment gateway; configure one with PUT /v1/payment_gateway.",
    );
  }
  return opened(deps.settings, config, deps.adapters);
}

/** The gateway configuration `gatewayId`, if it is still the organization's (the resolver's). */
export async function openGatewayById(
  db: Db,
  settings: GatewaySettings,
  orgId: string,
  gatewayId: string,
  adapters: GatewayFactory = gatewayFor,
): Promise<OpenedGateway | null> {
  const config = await repo.findGatewayConfig(db, orgId);
  return config?.id === gatewayId ? opened(settings, config, adapters) : null;
}

const RESEAL_BATCH = 50;

/**
 * Key rotation (the Cron): re-seals, under GATEWAY_ENCRYPTION_KEY, stored keys still sealed
 * under GATEWAY_ENCRYPTION_KEY_PREVIOUS, a bounded number per run. Once none is left, the
 * previous key can be removed (docs/money.md). Without the secret there is nothing to do.
 */
export async function resealGatewayKeys(
  db: Db,
  settings: GatewaySettings,
): Promise<{ resealed: number; failed: number }> {
  if (!settings.GATEWAY_ENCRYPTION_KEY) return { resealed: 0, failed: 0 };
  const ring = await gatewayKeyRing(settings);
  let resealed = 0;
  let failed = 0;
  for (const row of await repo.gatewayConfigsUnderOtherKeys(db, ring.current.id, RESEAL_BATCH)) {
    const sealed = {
      ciphertext: row.secret_key_ciphertext ?? "",
      iv: row.secret_key_iv ?? "",
      keyId: row.secret_key_key_id ?? "",
    };
    const secretKey = await open(ring, sealed, row.org_id);
    if (secretKey === null) {
      failed++;
      logError("a stored payment gateway key decrypts with no configured key", { org_id: row.org_id });
      continue;
    }
    if (await repo.resealGatewayKey(db, row, await seal(ring, secretKey, row.org_id))) resealed++;
  }
  return { resealed, failed };
}
