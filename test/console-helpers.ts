import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import worker from "../src/index";

/** The console as a browser uses it: cookies, forms, the Origin header every POST carries. */

export const ORIGIN = "http://roster.test";

export type Page = { status: number; headers: Headers; html: string; location: string | null };

/** One request through the Worker's fetch (background work finished when it returns). */
export async function fetchConsole(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; env?: Env; base?: string } = {},
): Promise<Page> {
  const ctx = createExecutionContext();
  const request = new Request(`${init.base ?? ORIGIN}${path}`, {
    method: init.method ?? "GET",
    headers: init.headers,
    body: init.body,
    redirect: "manual",
  });
  const response = await worker.fetch(request, init.env ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return {
    status: response.status,
    headers: response.headers,
    html: await response.text(),
    location: response.headers.get("Location"),
  };
}

const FORM = "application/x-www-form-urlencoded";

/** POSTs a form as the browser would from a console page (its Origin), with the session's cookie. */
export const postForm = (
  path: string,
  cookie: string | null,
  fields: Record<string, string>,
  headers: Record<string, string> = { Origin: ORIGIN },
) =>
  fetchConsole(path, {
    method: "POST",
    headers: { "Content-Type": FORM, ...headers, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });

/** The `name=value` part of the response's session cookie (null when it sets none). */
export function sessionCookieOf(page: Page): string | null {
  const header = page.headers.getSetCookie().find((cookie) => cookie.startsWith("roster_console="));
  return header ? (header.split(";")[0] ?? null) : null;
}

/** Signs in with this key; returns the cookie to send. */
export async function signIn(key: string): Promise<string> {
  const page = await postForm("/console/sign-in", null, { api_key: key });
  expect(page.status, page.html).toBe(303);
  expect(page.location).toBe("/console/customers");
  const cookie = sessionCookieOf(page);
  if (!cookie) throw new Error("sign-in set no session cookie");
  return cookie;
}

export const getPage = (path: string, cookie: string) => fetchConsole(path, { headers: { Cookie: cookie } });

const decodeEntities = (text: string) =>
  text
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

/** The fields a form of the page holds (hidden, text, checked boxes), found by its action. */
export function formFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form posting to ${action}`);
  const form = html.slice(start, html.indexOf("</form>", start));
  const fields: Record<string, string> = {};
  for (const [input] of form.matchAll(/<input[^>]*>/g)) {
    const name = /\sname="([^"]*)"/.exec(input)?.[1];
    if (!name) continue;
    if (/type="checkbox"/.test(input) && !/\schecked/.test(input)) continue;
    const value = /\svalue="([^"]*)"/.exec(input)?.[1];
    fields[name] = /type="checkbox"/.test(input) ? "on" : decodeEntities(value ?? "");
  }
  return fields;
}

/** Opens the page and sends one of its forms with these fields changed. */
export async function submit(
  cookie: string,
  pagePath: string,
  action: string,
  changes: Record<string, string> = {},
): Promise<Page> {
  const page = await getPage(pagePath, cookie);
  expect(page.status, page.html).toBe(200);
  return postForm(action, cookie, { ...formFields(page.html, action), ...changes });
}

export const consolePath = (id: string) => `/console/customers/${encodeURIComponent(id)}`;
