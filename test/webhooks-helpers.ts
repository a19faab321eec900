import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import type { WebhookResult } from "../src/webhooks/webhooks.schemas";
import { altPath, type Called, type CustomerObject, call, newOrganization } from "./helpers";

export type Endpoint = { id: string; url: string; secret: string; source: string };

/** Creates a webhook endpoint; fails the test on anything but 201. */
export async function createEndpoint(key: string, source: "standard" | "clerk" = "standard"): Promise<Endpoint> {
  const response = await call<Endpoint>("POST", "/v1/webhook_endpoints", { key, body: { source } });
  if (response.status !== 201) throw new Error(`endpoint create failed (${response.status}): ${response.text}`);
  return response.body;
}

export type DeliveryOptions = {
  /** The webhook-id; a fresh one by default. */
  id?: string;
  /** When the delivery is signed (the webhook-timestamp); now by default. */
  at?: Date;
  /** Header names' prefix. */
  prefix?: "webhook-" | "svix-";
  /** Sign with this secret instead of the endpoint's. */
  secret?: string;
  /** Send this body instead of the signed one (tampering). */
  sentBody?: string;
  /** Replace the signature header's value. */
  signature?: (signed: string) => string;
  /** Drop these headers (names without prefix: "id", "timestamp", "signature"). */
  omit?: string[];
  headers?: Record<string, string>;
};

let sequence = 0;
export const newMessageId = () => `msg_test_${Date.now()}_${++sequence}`;

/** The three signature headers, signed by the independent `standardwebhooks` implementation. */
export function signatureHeaders(secret: string, body: string, options: DeliveryOptions = {}): Record<string, string> {
  const id = options.id ?? newMessageId();
  const at = options.at ?? new Date();
  const prefix = options.prefix ?? "webhook-";
  const signed = new Webhook(secret).sign(id, at, body);
  const headers: Record<string, string> = {
    [`${prefix}id`]: id,
    [`${prefix}timestamp`]: String(Math.floor(at.getTime() / 1000)),
    [`${prefix}signature`]: options.signature ? options.signature(signed) : signed,
  };
  for (const name of options.omit ?? []) delete headers[`${prefix}${name}`];
  return headers;
}

/**
 * Posts `payload` (an object, or a raw string) to the endpoint, signed. `T` is the body the test
 * reads: the intake's result by default; a problem is read through `expectProblem`.
 */
export function deliver<T = WebhookResult>(
  endpoint: { id: string; secret: string },
  payload: unknown,
  options: DeliveryOptions = {},
): Promise<Called<T>> {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return call<T>("POST", `/v1/webhooks/${endpoint.id}`, {
    rawBody: options.sentBody ?? body,
    headers: {
      "Content-Type": "application/json",
      ...signatureHeaders(options.secret ?? endpoint.secret, body, options),
      ...options.headers,
    },
  });
}

export const countRows = async (table: "customers" | "webhook_messages" | "webhook_endpoints") =>
  (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;

export const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A standard `customer.provision` event. */
export const provisionEvent = (data: Record<string, unknown>, timestamp?: string) => ({
  type: "customer.provision",
  ...(timestamp === undefined ? {} : { timestamp }),
  data,
});

/** A fresh organization with one endpoint of `source`. */
export async function setup(source: "standard" | "clerk" = "standard") {
  const { key } = await newOrganization();
  return { key, endpoint: await createEndpoint(key, source) };
}

export const getByAlternativeId = (key: string, alternativeId: string) =>
  call<CustomerObject>("GET", altPath(alternativeId), { key });

/** The customer most events here provision. */
export const JENNY = { alternative_id: "user_jenny", email: "jenny@example.com", first_name: "Jenny" };

type ClerkUserOptions = {
  id?: string;
  first_name?: string | null;
  last_name?: string | null;
  primary?: "work" | "personal" | null;
  personalEmail?: string;
  workEmail?: string;
  updatedAt?: number;
  extra?: Record<string, unknown>;
};

/**
 * A Clerk user event as Clerk sends it (shape from Clerk's webhook docs): two email
 * addresses, the primary one picked by `primary_email_address_id`.
 */
export function clerkUserEvent(type: "user.created" | "user.updated", options: ClerkUserOptions = {}) {
  const updatedAt = options.updatedAt ?? Date.now();
  const ids = { personal: "idn_2personalAAAAAAAAAAAAAAAAA", work: "idn_2workBBBBBBBBBBBBBBBBBBBBBB" };
  const primary = options.primary === undefined ? "work" : options.primary;
  return {
    data: {
      backup_code_enabled: false,
      banned: false,
      birthday: "",
      create_organization_enabled: true,
      created_at: updatedAt - 5_000,
      delete_self_enabled: true,
      email_addresses: [
        {
          created_at: updatedAt - 5_000,
          email_address: options.personalEmail ?? "jenny.personal@example.com",
          id: ids.personal,
          linked_to: [],
          object: "email_address",
          reserved: false,
          updated_at: updatedAt - 5_000,
          verification: { attempts: null, expire_at: null, status: "verified", strategy: "admin" },
        },
        {
          created_at: updatedAt - 4_000,
          email_address: options.workEmail ?? "jenny.doe@work.example.com",
          id: ids.work,
          linked_to: [],
          object: "email_address",
          reserved: false,
          updated_at: updatedAt - 4_000,
          verification: { attempts: null, expire_at: null, status: "verified", strategy: "email_code" },
        },
      ],
      external_accounts: [],
      external_id: null,
      first_name: options.first_name === undefined ? "Jenny" : options.first_name,
      gender: "",
      has_image: false,
      id: options.id ?? "user_29w83sxmDNGwOuEthce5gg56FcC",
      image_url: "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
      last_active_at: updatedAt - 1_000,
      last_name: options.last_name === undefined ? "Doe" : options.last_name,
      last_sign_in_at: null,
      locked: false,
      object: "user",
      password_enabled: true,
      phone_numbers: [],
      primary_email_address_id: primary === null ? null : ids[primary],
      primary_phone_number_id: null,
      primary_web3_wallet_id: null,
      private_metadata: {},
      profile_image_url: "https://www.gravatar.com/avatar?d=mp",
      public_metadata: {},
      saml_accounts: [],
      totp_enabled: false,
      two_factor_enabled: false,
      unsafe_metadata: {},
      updated_at: updatedAt,
      username: null,
      web3_wallets: [],
      ...options.extra,
    },
    event_attributes: { http_request: { client_ip: "192.0.2.1", user_agent: "Mozilla/5.0 (test)" } },
    instance_id: "ins_2abcDEFghiJKLmnoPQRstuVWXyz",
    object: "event",
    timestamp: updatedAt + 20,
    type,
  };
}

export const clerkUserDeleted = (id = "user_29w83sxmDNGwOuEthce5gg56FcC", at = Date.now()) => ({
  data: { deleted: true, id, object: "user" },
  event_attributes: { http_request: { client_ip: "192.0.2.1", user_agent: "Mozilla/5.0 (test)" } },
  instance_id: "ins_2abcDEFghiJKLmnoPQRstuVWXyz",
  object: "event",
  timestamp: at,
  type: "user.deleted",
});
