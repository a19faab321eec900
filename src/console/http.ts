import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../lib/types";

export type ConsoleContext = Context<AppEnv>;

/** Where the console's stylesheet is served from (static assets, built by scripts/build-assets.mjs). */
export const STYLESHEET = "/console/assets/console.css";

/**
 * Every console response: only this host's stylesheet (no inline style, no script at all: the
 * pages are plain HTML forms), no framing, no MIME sniffing, no referrer to another site
 * (console URLs hold customer ids and search terms; `same-origin`, not `no-referrer`, under
 * which browsers send `Origin: null` with a form, which the Origin check must refuse), and
 * never kept by a browser or proxy (they show customer data).
 */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    // data: for the favicon, `data:,` (without it browsers ask for /favicon.ico).
    imgSrc: ["'self'", "data:"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  xContentTypeOptions: "nosniff",
  referrerPolicy: "same-origin",
});

export const consoleHeaders = async (c: ConsoleContext, next: () => Promise<void>) => {
  await securityHeaders(c, next);
  c.res.headers.set("Cache-Control", "no-store");
};

/** A rendered page (hono/jsx escapes every text and attribute value). */
export const html = (c: ConsoleContext, page: unknown, status = 200) => c.html(`<!doctype html>${page}`, status as 200);

/** See other: after a POST, the browser GETs the result (a reload does not send the form again). */
export const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location } });

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|\[::1\])$/;

/** `Secure` cookies everywhere except plain http:// to this machine (local development). */
export const secureCookies = (url: string) => {
  const { protocol, hostname } = new URL(url);
  return !(protocol === "http:" && LOOPBACK.test(hostname));
};

/** Whether the request says it comes from a page of the console's own origin (browsers send Origin on every POST). */
export const fromOwnOrigin = (c: ConsoleContext) => c.req.header("Origin") === new URL(c.req.url).origin;

/** A form's fields, and its raw bytes (what an Idempotency-Key fingerprint hashes). */
export type PostedForm = { fields: URLSearchParams; raw: Uint8Array };

/** The largest form the console takes: the profile form is well below it. */
const MAX_FORM_BYTES = 64 * 1024;

/** The posted form, or null when it is not a URL-encoded form within the size limit. */
export async function readForm(c: ConsoleContext): Promise<PostedForm | null> {
  const type = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return null;
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (raw.length > MAX_FORM_BYTES) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    return null;
  }
  return { fields: new URLSearchParams(text), raw };
}

/** A field's value, trimmed; "" when absent. */
export const field = (form: URLSearchParams, name: string) => (form.get(name) ?? "").trim();
