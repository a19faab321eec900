import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  consoleSessionKey,
  openSession,
  SESSION_IDLE_MS,
  SESSION_LIFETIME_MS,
  type Session,
  sealSession,
} from "../src/console/session";
import {
  consolePath,
  fetchConsole,
  formFields,
  getPage,
  ORIGIN,
  postForm,
  sessionCookieOf,
  signIn,
  submit,
} from "./console-helpers";
import { call, createCustomer, getCustomer, newOrganization } from "./helpers";

/** The console's sign-in, session cookie, headers and refusals (spec section 13). */

const cspOf = (headers: Headers) => headers.get("Content-Security-Policy") ?? "";

describe("console pages and their headers", () => {
  it("sends a strict CSP, no framing, nosniff and no-store on every page", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Ada" });
    for (const page of [
      await fetchConsole("/console"),
      await getPage("/console/customers", cookie),
      await getPage(consolePath(customer.id), cookie),
      await getPage("/console/api-keys", cookie),
      await getPage("/console/event-destinations", cookie),
    ]) {
      expect(page.status).toBe(200);
      expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
      const csp = cspOf(page.headers);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(page.headers.get("X-Frame-Options")).toBe("DENY");
      expect(page.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(page.headers.get("Cache-Control")).toBe("no-store");
      // No script and no inline style anywhere; the one stylesheet is this host's.
      expect(page.html).not.toMatch(/<script|<style|\sstyle=/i);
      expect(page.html).toContain('<link rel="stylesheet" href="/console/assets/console.css"/>');
    }
  });

  it("serves its stylesheet as a static asset", async () => {
    const response = await env.ASSETS.fetch("http://roster.test/console/assets/console.css");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("@media (max-width: 640px)");
  });

  it("is not in the OpenAPI document", async () => {
    const document = await call<{ paths: Record<string, unknown> }>("GET", "/v1/openapi.json");
    expect(Object.keys(document.body.paths).filter((path) => path.startsWith("/console"))).toEqual([]);
  });

  it("says it is not configured, and nothing else, without CONSOLE_SESSION_KEY", async () => {
    const { key } = await newOrganization();
    const unconfigured = { ...env, CONSOLE_SESSION_KEY: undefined };
    const notBase64Of32Bytes = { ...env, CONSOLE_SESSION_KEY: btoa("too short") };
    for (const bindings of [unconfigured, notBase64Of32Bytes]) {
      for (const page of [
        await fetchConsole("/console", { env: bindings }),
        await fetchConsole("/console/customers", { env: bindings }),
        await fetchConsole("/console/sign-in", {
          env: bindings,
          method: "POST",
          headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
          body: `api_key=${key}`,
        }),
      ]) {
        expect(page.status).toBe(503);
        expect(page.html).toContain("The console is not configured");
        expect(page.html).toContain("CONSOLE_SESSION_KEY");
        expect(page.html).not.toContain('name="api_key"');
        expect(page.headers.getSetCookie()).toEqual([]);
      }
    }
  });
});

describe("sign-in", () => {
  it("signs in with a valid key into an HttpOnly, SameSite=Strict, Path=/console, Secure cookie", async () => {
    const { key } = await newOrganization();
    const page = await postForm("/console/sign-in", null, { api_key: key });
    expect(page.status).toBe(303);
    expect(page.location).toBe("/console/customers");
    const [cookie] = page.headers.getSetCookie();
    expect(cookie).toMatch(/^roster_console=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/console");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("Max-Age=3600");
    // The key is in no cookie and no URL.
    expect(cookie).not.toContain(key);
    expect(atob((cookie?.split("=")[1]?.split(".")[0] ?? "").replaceAll("-", "+").replaceAll("_", "/"))).not.toContain(
      key,
    );
    const customers = await getPage("/console/customers", sessionCookieOf(page) ?? "");
    expect(customers.status).toBe(200);
    expect(customers.html).toContain("<h1>Customers</h1>");
  });

  it("leaves Secure off only on plain http:// to a loopback host", async () => {
    const { key } = await newOrganization();
    const page = await fetchConsole("/console/sign-in", {
      base: "http://127.0.0.1:8787",
      method: "POST",
      headers: { Origin: "http://127.0.0.1:8787", "Content-Type": "application/x-www-form-urlencoded" },
      body: `api_key=${key}`,
    });
    expect(page.status).toBe(303);
    const [cookie] = page.headers.getSetCookie();
    expect(cookie).toContain("HttpOnly");
    expect(cookie).not.toContain("Secure");
  });

  it("refuses an unknown key, a string that is no key, and a revoked key, setting no cookie", async () => {
    const { key } = await newOrganization();
    for (const wrong of [`rk_${"x".repeat(40)}`, "hello", ""]) {
      const page = await postForm("/console/sign-in", null, { api_key: wrong });
      expect(page.status).toBe(401);
      expect(page.html).toMatch(/unknown or revoked|not a Roster API key/);
      expect(page.headers.getSetCookie()).toEqual([]);
    }
    const created = await call<{ id: string; secret: string }>("POST", "/v1/api_keys", { key, body: {} });
    await call("DELETE", `/v1/api_keys/${created.body.id}`, { key });
    const revoked = await postForm("/console/sign-in", null, { api_key: created.body.secret });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.getSetCookie()).toEqual([]);
  });

  it("refuses a sign-in form from another origin", async () => {
    const { key } = await newOrganization();
    const page = await postForm("/console/sign-in", null, { api_key: key }, { Origin: "https://evil.example" });
    expect(page.status).toBe(403);
    expect(page.headers.getSetCookie()).toEqual([]);
  });
});

describe("the session", () => {
  it("ends when its key is revoked", async () => {
    const { key } = await newOrganization();
    const created = await call<{ id: string; secret: string }>("POST", "/v1/api_keys", { key, body: {} });
    const cookie = await signIn(created.body.secret);
    expect((await getPage("/console/customers", cookie)).status).toBe(200);
    await call("DELETE", `/v1/api_keys/${created.body.id}`, { key });
    const after = await getPage("/console/customers", cookie);
    expect(after.status).toBe(303);
    expect(after.location).toBe("/console?ended=revoked");
    expect(after.headers.getSetCookie()[0]).toContain("Max-Age=0");
  });

  it("ends at sign-out, also for a copy of the cookie", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customers = await getPage("/console/customers", cookie);
    const out = await postForm("/console/sign-out", cookie, formFields(customers.html, "/console/sign-out"));
    expect(out.status).toBe(303);
    expect(out.location).toBe("/console?ended=signed_out");
    expect(out.headers.getSetCookie()[0]).toMatch(/^roster_console=;.*Max-Age=0/);
    const replayed = await getPage("/console/customers", cookie);
    expect(replayed.status).toBe(303);
    expect(replayed.location).toBe("/console?ended=signed_out");
  });

  it("sends a page without a valid session to the sign-in page", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const [name, value = ""] = cookie.split("=");
    const [payload = "", signature = ""] = value.split(".");
    const forged = `${name}=${payload}.${signature.slice(0, -2)}AA`;
    for (const sent of [forged, "roster_console=garbage", ""]) {
      const page = await getPage("/console/customers", sent);
      expect(page.status).toBe(303);
      expect(page.location).toBe("/console");
    }
  });

  it("ends 12 hours after sign-in and 1 hour after the last request", async () => {
    // The tests' binding (vitest.config.ts): Cloudflare.Env does not declare secrets.
    const key = await consoleSessionKey({
      CONSOLE_SESSION_KEY: (env as { CONSOLE_SESSION_KEY?: string }).CONSOLE_SESSION_KEY,
    });
    if (!key) throw new Error("the tests' CONSOLE_SESSION_KEY is not usable");
    const now = Date.now();
    const session: Session = {
      sid: "s1",
      orgId: "org_1",
      apiKeyId: "key_1",
      keyHash: "h",
      issuedAt: now - SESSION_LIFETIME_MS + 1000,
      lastSeenAt: now,
    };
    const sealed = await sealSession(key, session);
    expect(await openSession(key, sealed, now)).toEqual(session);
    expect(await openSession(key, sealed, now + 1000)).toBe("expired");
    const idle = await sealSession(key, { ...session, issuedAt: now, lastSeenAt: now - SESSION_IDLE_MS });
    expect(await openSession(key, idle, now)).toBe("idle");
    expect(await openSession(key, `${sealed}x`, now)).toBe("invalid");
  });
});

describe("anti-CSRF token and Origin", () => {
  it("refuses a change without the session's token, or from another origin, and changes nothing", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Before" });
    const page = await getPage(consolePath(customer.id), cookie);
    const action = `${consolePath(customer.id)}/edit`;
    const fields: Record<string, string> = { ...formFields(page.html, action), name: "After" };
    const attempts = [
      postForm(action, cookie, { ...fields, csrf: "" }),
      postForm(action, cookie, { ...fields, csrf: `${fields.csrf}x` }),
      postForm(action, cookie, fields, { Origin: "https://evil.example" }),
      postForm(action, cookie, fields, {}),
      // Another session's token.
      signIn(key).then(async (other) => postForm(action, other, fields)),
    ];
    for (const attempt of attempts) {
      const answer = await attempt;
      expect(answer.status).toBe(403);
      expect(answer.html).toContain("nothing was done");
    }
    expect((await getCustomer(key, customer.id)).body.name).toBe("Before");
    // The same form, sent properly, works.
    expect((await postForm(action, cookie, fields)).status).toBe(303);
    expect((await getCustomer(key, customer.id)).body.name).toBe("After");
  });

  it("never changes anything on GET", async () => {
    const { key } = await newOrganization();
    const cookie = await signIn(key);
    const customer = await createCustomer(key, { name: "Kept" });
    // The action's path answers GET with 405 (its Allow: POST), and acts on nothing.
    const page = await getPage(`${consolePath(customer.id)}/archive`, cookie);
    expect(page.status).toBe(405);
    expect((await getCustomer(key, customer.id)).status).toBe(200);
    const archived = await submit(cookie, consolePath(customer.id), `${consolePath(customer.id)}/archive`, {
      confirm_id: customer.id,
    });
    expect(archived.status).toBe(303);
  });
});
