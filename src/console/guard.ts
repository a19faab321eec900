import { findActiveKey } from "../auth/api-key-cache";
import { inBackground } from "../lib/background";
import { timingSafeEqualStrings } from "../lib/crypto";
import { kvKeys } from "../lib/kv-keys";
import { rateLimitByKeyAndOrganization } from "../middleware/rate-limit";
import { type Acted, actOnce, FormAlreadySubmitted } from "./act-once";
import {
  type ConsoleContext,
  field,
  fromOwnOrigin,
  html,
  type PostedForm,
  readForm,
  secureCookies,
  seeOther,
} from "./http";
import {
  consoleSessionKey,
  cookieMaxAgeSeconds,
  csrfTokenOf,
  openSession,
  SESSION_COOKIE,
  SESSION_PATH,
  type Session,
  sealSession,
} from "./session";
import { MessagePage, NotConfiguredPage } from "./views/layout";

/** Who is signed in, as every console page and action sees it. */
export type SignedIn = { session: Session; csrf: string };

/** Why the sign-in page is shown instead (its `?ended=` reason). */
export type EndReason = "expired" | "idle" | "revoked" | "signed_out";

export const signInPath = (reason?: EndReason) => (reason ? `/console?ended=${reason}` : "/console");

/** The Set-Cookie value carrying this session (or, with null, removing the cookie). */
export function sessionCookie(c: ConsoleContext, value: string | null, maxAgeSeconds = 0): string {
  const attributes = [
    `${SESSION_COOKIE}=${value ?? ""}`,
    `Max-Age=${value === null ? 0 : maxAgeSeconds}`,
    `Path=${SESSION_PATH}`,
    "HttpOnly",
    "SameSite=Strict",
  ];
  if (secureCookies(c.req.url)) attributes.push("Secure");
  return attributes.join("; ");
}

const cookieValue = (c: ConsoleContext): string | null => {
  for (const part of (c.req.header("Cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=");
  }
  return null;
};

export const withCookie = (response: Response, cookie: string) => {
  response.headers.append("Set-Cookie", cookie);
  return response;
};

/** Signs in: a new session for this key, its cookie on the response. */
export async function startSession(
  c: ConsoleContext,
  key: CryptoKey,
  who: Pick<Session, "orgId" | "apiKeyId" | "keyHash">,
  sid: string,
): Promise<string> {
  const now = Date.now();
  const session: Session = { sid, ...who, issuedAt: now, lastSeenAt: now };
  return sessionCookie(c, await sealSession(key, session), cookieMaxAgeSeconds(session, now));
}

type Resolved = { signedIn: SignedIn; cookie: string } | { ended: EndReason | null };

/**
 * The request's session, checked against every way it can end: its signature and limits (the
 * cookie), sign-out (the KV list), and the key's revocation (the API-key cache, which stops
 * accepting a revoked key within 60 seconds everywhere). A live session is renewed: the idle
 * limit counts from this request.
 */
export async function resolveSession(c: ConsoleContext, key: CryptoKey): Promise<Resolved> {
  const value = cookieValue(c);
  if (!value) return { ended: null };
  const now = Date.now();
  const opened = await openSession(key, value, now);
  if (opened === "invalid") return { ended: null };
  if (opened === "expired" || opened === "idle") return { ended: opened };
  if (await c.env.KV.get(kvKeys.consoleSignedOut(opened.sid))) return { ended: "signed_out" };
  const apiKey = await findActiveKey(c.env.DB, opened.keyHash, inBackground(c, "API-key cache fill"));
  if (!apiKey || apiKey.id !== opened.apiKeyId || apiKey.org_id !== opened.orgId) return { ended: "revoked" };
  const session = { ...opened, lastSeenAt: now };
  c.set("orgId", session.orgId);
  c.set("apiKeyId", session.apiKeyId);
  // The key's own request budget, as on the API: the console is no way round it (429 page).
  await rateLimitByKeyAndOrganization(c, async () => {});
  const cookie = sessionCookie(c, await sealSession(key, session), cookieMaxAgeSeconds(session, now));
  return { signedIn: { session, csrf: await csrfTokenOf(key, session) }, cookie };
}

/** Back to the sign-in page, the cookie removed. */
const toSignIn = (c: ConsoleContext, reason: EndReason | null) =>
  withCookie(seeOther(signInPath(reason ?? undefined)), sessionCookie(c, null));

const refused = (c: ConsoleContext, status: number, title: string, detail: string) =>
  html(c, MessagePage({ title, detail }), status);

/** A page (GET): signed in, or back to the sign-in page. */
export const page =
  (render: (c: ConsoleContext, who: SignedIn) => Promise<Response>) =>
  async (c: ConsoleContext): Promise<Response> => {
    const key = await consoleSessionKey(c.env);
    if (!key) return html(c, NotConfiguredPage(), 503);
    const resolved = await resolveSession(c, key);
    if ("ended" in resolved) return toSignIn(c, resolved.ended);
    return withCookie(await render(c, resolved.signedIn), resolved.cookie);
  };

/** What every console form checks before it acts: its origin, the session, the anti-CSRF token. */
export async function checkedPost(
  c: ConsoleContext,
): Promise<
  { ok: true; key: CryptoKey; signedIn: SignedIn; cookie: string; form: PostedForm } | { ok: false; response: Response }
> {
  const key = await consoleSessionKey(c.env);
  if (!key) return { ok: false, response: html(c, NotConfiguredPage(), 503) };
  if (!fromOwnOrigin(c)) {
    const detail = "This form was not sent from a console page of this site, so nothing was done.";
    return { ok: false, response: refused(c, 403, "Refused", detail) };
  }
  const resolved = await resolveSession(c, key);
  if ("ended" in resolved) return { ok: false, response: toSignIn(c, resolved.ended) };
  const form = await readForm(c);
  if (!form)
    return { ok: false, response: refused(c, 400, "Not a console form", "The request is not a console form.") };
  const sent = field(form.fields, "csrf");
  if (!sent || !(await timingSafeEqualStrings(sent, resolved.signedIn.csrf))) {
    const detail = "This form belongs to another session (or none). Reload the page and try again; nothing was done.";
    return { ok: false, response: refused(c, 403, "Refused", detail) };
  }
  return { ok: true, key, signedIn: resolved.signedIn, cookie: resolved.cookie, form };
}

/**
 * A state change (POST): from the console's own origin, signed in, with the session's
 * anti-CSRF token and a one-time form token; the action runs once however often the form is
 * sent (act-once.ts).
 */
export const action =
  (act: (c: ConsoleContext, who: SignedIn, form: URLSearchParams) => Promise<Acted>) =>
  async (c: ConsoleContext): Promise<Response> => {
    const checked = await checkedPost(c);
    if (!checked.ok) return checked.response;
    const { signedIn, cookie, form } = checked;
    const formToken = field(form.fields, "form_token");
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(formToken)) {
      return refused(c, 400, "Not a console form", "The form has no valid form token. Reload the page.");
    }
    try {
      const response = await actOnce(c, signedIn.session.orgId, form, formToken, () => act(c, signedIn, form.fields));
      return withCookie(response, cookie);
    } catch (error) {
      if (!(error instanceof FormAlreadySubmitted)) throw error;
      const detail = error.stillRunning
        ? "This form is being submitted already. Wait a moment, then reload the page."
        : "This form was already submitted with other values. Reload the page to see the current state.";
      return withCookie(refused(c, 409, "Already submitted", detail), cookie);
    }
  };
