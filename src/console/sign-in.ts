import { findActiveKey } from "../auth/api-key-cache";
import { couldBeApiKey, isKnownUnknownKey, rememberUnknownKey } from "../auth/unknown-keys";
import { inBackground } from "../lib/background";
import { sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { countFailure, refuseLimitedAddress } from "../lib/failure-limit";
import { kvKeys } from "../lib/kv-keys";
import { checkedPost, resolveSession, sessionCookie, signInPath, startSession, withCookie } from "./guard";
import { type ConsoleContext, field, fromOwnOrigin, html, readForm, seeOther } from "./http";
import { consoleSessionKey, randomToken, SESSION_LIFETIME_MS } from "./session";
import { MessagePage, NotConfiguredPage } from "./views/layout";
import { endedMessage, SignInPage } from "./views/sign-in-page";

export const CUSTOMERS_PATH = "/console/customers";

/** GET /console: the sign-in form, or the customers when a session is live. */
export async function showSignIn(c: ConsoleContext): Promise<Response> {
  const key = await consoleSessionKey(c.env);
  if (!key) return html(c, NotConfiguredPage(), 503);
  const resolved = await resolveSession(c, key);
  if ("signedIn" in resolved) return withCookie(seeOther(CUSTOMERS_PATH), resolved.cookie);
  return html(c, SignInPage({ ended: endedMessage(c.req.query("ended") ?? resolved.ended ?? undefined) }));
}

const UNKNOWN = "That API key is unknown or revoked.";

/**
 * POST /console/sign-in: the key is checked as the API checks a bearer key (its shape, the
 * unknown-key memo, the API-key cache, D1), and every refusal counts against the address's
 * failure budget, so the form is no way round the API's limits.
 */
export async function signIn(c: ConsoleContext): Promise<Response> {
  const key = await consoleSessionKey(c.env);
  if (!key) return html(c, NotConfiguredPage(), 503);
  if (!fromOwnOrigin(c)) {
    const detail = "This form was not sent from a console page of this site, so nothing was done.";
    return html(c, MessagePage({ title: "Refused", detail }), 403);
  }
  const headers = c.req.raw.headers;
  const refuse = async (detail: string) => {
    const answer = await countFailure(c.env, headers, new ApiError("unauthorized", detail));
    const error =
      answer.code === "rate_limited" ? "Too many failed sign-ins from this address; wait a minute." : detail;
    return html(c, SignInPage({ error }), answer.status);
  };
  const form = await readForm(c);
  const secret = form ? field(form.fields, "api_key") : "";
  if (!couldBeApiKey(secret)) return refuse("That is not a Roster API key (rk_…).");
  const keyHash = await sha256Hex(secret);
  if (isKnownUnknownKey(keyHash)) return refuse(UNKNOWN);
  let apiKey: Awaited<ReturnType<typeof findActiveKey>>;
  try {
    apiKey = await findActiveKey(c.env.DB, keyHash, inBackground(c, "API-key cache fill"), () =>
      refuseLimitedAddress(headers),
    );
  } catch (error) {
    if (error instanceof ApiError && error.code === "rate_limited") {
      return html(c, SignInPage({ error: "Too many failed sign-ins from this address; wait a minute." }), 429);
    }
    throw error;
  }
  if (!apiKey) {
    rememberUnknownKey(keyHash);
    return refuse(UNKNOWN);
  }
  const cookie = await startSession(c, key, { orgId: apiKey.org_id, apiKeyId: apiKey.id, keyHash }, randomToken());
  return withCookie(seeOther(CUSTOMERS_PATH), cookie);
}

/**
 * POST /console/sign-out: the cookie goes, and the session id is listed in KV for the rest of
 * its lifetime, so a copy of the cookie opens nothing either.
 */
export async function signOut(c: ConsoleContext): Promise<Response> {
  const checked = await checkedPost(c);
  if (!checked.ok) return checked.response;
  const { session } = checked.signedIn;
  const remainingSeconds = Math.ceil((session.issuedAt + SESSION_LIFETIME_MS - Date.now()) / 1000);
  // KV's shortest TTL is 60 seconds.
  await c.env.KV.put(kvKeys.consoleSignedOut(session.sid), "1", { expirationTtl: Math.max(60, remainingSeconds) });
  return withCookie(seeOther(signInPath("signed_out")), sessionCookie(c, null));
}
