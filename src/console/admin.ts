import { CreateApiKeyBody } from "../api-keys/api-keys.schemas";
import * as apiKeys from "../api-keys/api-keys.service";
import * as destinations from "../event-destinations/event-destinations.service";
import { inBackground } from "../lib/background";
import { ApiError } from "../lib/errors";
import { type Acted, keepRedirect } from "./act-once";
import type { SignedIn } from "./guard";
import { type ConsoleContext, field, html, seeOther } from "./http";
import { ApiKeysPage, DestinationsPage, type DestinationView } from "./views/admin-pages";
import { type NoticeCode, noticeOf } from "./views/layout";

const keyDeps = (c: ConsoleContext): apiKeys.ApiKeyDeps => ({
  db: c.get("db"),
  kv: c.env.KV,
  orgId: c.get("orgId"),
  background: inBackground(c, "API key follow-up"),
});

/**
 * The organization's event destinations and API keys, through the services the API's routes
 * use. As on the customer page, a refused action changes nothing and shows the page with the
 * reason; a successful one redirects to the page with a notice.
 */

const DESTINATIONS_PATH = "/console/event-destinations";
const KEYS_PATH = "/console/api-keys";
/** "Recent" deliveries: the failed ones among a destination's latest this many. */
const RECENT_DELIVERIES = 50;

const done = (path: string, notice: NoticeCode): Acted => {
  const location = `${path}?notice=${notice}`;
  return { response: seeOther(location), replayAs: location };
};

/** For the service: keeps the redirect `done(path, notice)` answers in the change's own batch (act-once.ts). */
const keepDone = (c: ConsoleContext, path: string, notice: NoticeCode) => keepRedirect(c, `${path}?notice=${notice}`);

const refusable = (error: unknown): error is ApiError => error instanceof ApiError && error.status < 500;

async function renderDestinations(c: ConsoleContext, who: SignedIn, status: number, problem?: string) {
  const db = c.get("db");
  const orgId = c.get("orgId");
  const all = await destinations.listAll(db, orgId);
  const views: DestinationView[] = await Promise.all(
    all.map(async (destination) => {
      const recent = await destinations.listDestinationDeliveries(db, orgId, destination.id, {
        limit: RECENT_DELIVERIES,
      });
      return { destination, failed: recent.data.filter((delivery) => delivery.status === "failed") };
    }),
  );
  return html(c, DestinationsPage({ who, views, notice: noticeOf(c.req.query("notice")), problem }), status);
}

/** GET /console/event-destinations */
export const destinationsPage = (c: ConsoleContext, who: SignedIn) => renderDestinations(c, who, 200);

/** Enable or disable a destination (PATCH `status`). */
export async function setDestinationStatus(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const status = field(form, "status");
  if (status !== "enabled" && status !== "disabled") {
    return { response: await renderDestinations(c, who, 400, "status must be enabled or disabled."), replayAs: null };
  }
  try {
    const notice = status === "enabled" ? "destination_enabled" : "destination_disabled";
    const keep = keepDone(c, DESTINATIONS_PATH, notice);
    await destinations.patchDestination(c.get("db"), c.env, c.get("orgId"), c.req.param("id") ?? "", { status }, keep);
    return done(DESTINATIONS_PATH, notice);
  } catch (error) {
    if (!refusable(error)) throw error;
    return { response: await renderDestinations(c, who, error.status, error.detail), replayAs: null };
  }
}

/** The form's `datetime-local` value (minutes or seconds), read as UTC. */
const SINCE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** Replay every kept event since a time to one destination. */
export async function replayDestination(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const since = field(form, "since");
  const time = SINCE.test(since) ? new Date(`${since}Z`) : null;
  if (!time || Number.isNaN(time.getTime())) {
    const problem = "since must be a date and time (UTC); nothing was replayed.";
    return { response: await renderDestinations(c, who, 400, problem), replayAs: null };
  }
  try {
    await destinations.replay(
      c.get("db"),
      c.env.EVENT_DELIVERIES,
      c.get("orgId"),
      c.req.param("id") ?? "",
      time.toISOString(),
      inBackground(c, "replay queueing"),
      keepDone(c, DESTINATIONS_PATH, "replayed"),
    );
    return done(DESTINATIONS_PATH, "replayed");
  } catch (error) {
    if (!refusable(error)) throw error;
    return { response: await renderDestinations(c, who, error.status, error.detail), replayAs: null };
  }
}

async function renderKeys(
  c: ConsoleContext,
  who: SignedIn,
  status: number,
  extras: Pick<Parameters<typeof ApiKeysPage>[0], "created" | "problem"> = {},
) {
  const keys = await apiKeys.listKeys(c.get("db"), c.get("orgId"));
  return html(c, ApiKeysPage({ who, keys, notice: noticeOf(c.req.query("notice")), ...extras }), status);
}

/** GET /console/api-keys */
export const apiKeysPage = (c: ConsoleContext, who: SignedIn) => renderKeys(c, who, 200);

/**
 * Create a key: its secret is shown on this answer only. A repeated submission is sent to the
 * key list instead (the secret is not kept anywhere, as for the API's replays).
 */
export async function createApiKey(c: ConsoleContext, who: SignedIn, form: URLSearchParams): Promise<Acted> {
  const name = field(form, "name");
  const parsed = CreateApiKeyBody.safeParse({ name: name === "" ? null : name });
  if (!parsed.success) {
    const problem = "The name must be at most 100 characters; no key was created.";
    return { response: await renderKeys(c, who, 400, { problem }), replayAs: null };
  }
  try {
    const created = await apiKeys.createKey(keyDeps(c), parsed.data.name ?? null, keepRedirect(c, KEYS_PATH));
    return { response: await renderKeys(c, who, 200, { created }), replayAs: KEYS_PATH };
  } catch (error) {
    if (!refusable(error)) throw error;
    return { response: await renderKeys(c, who, error.status, { problem: error.detail }), replayAs: null };
  }
}

/** Revoke a key (this session's own included: the session then ends). */
export async function revokeApiKey(c: ConsoleContext, who: SignedIn): Promise<Acted> {
  try {
    await apiKeys.revokeKey(keyDeps(c), c.req.param("id") ?? "", keepDone(c, KEYS_PATH, "key_revoked"));
    return done(KEYS_PATH, "key_revoked");
  } catch (error) {
    if (!refusable(error)) throw error;
    return { response: await renderKeys(c, who, error.status, { problem: error.detail }), replayAs: null };
  }
}
