import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, newOrganization, type Problem } from "./helpers";

/** The HTML pages (/docs, /docs/problems): what they load, their security headers, and Cache-Control. */

/** Spec section 1's table: every problem code and its status. */
const PROBLEM_CODES: [string, number][] = [
  ["validation_failed", 400],
  ["invalid_json", 400],
  ["idempotency_key_invalid", 400],
  ["unauthorized", 401],
  ["not_found", 404],
  ["customer_not_found", 404],
  ["method_not_allowed", 405],
  ["customer_exists", 409],
  ["customer_id_archived", 409],
  ["customer_identity_conflict", 409],
  ["alternative_id_taken", 409],
  ["email_taken", 409],
  ["username_taken", 409],
  ["idempotency_request_in_progress", 409],
  ["customer_archived", 410],
  ["precondition_failed", 412],
  ["payload_too_large", 413],
  ["unsupported_media_type", 415],
  ["idempotency_key_reused", 422],
  ["email_domain_unresolvable", 422],
  ["rate_limited", 429],
  ["storage_unavailable", 503],
];

/** A static asset (public/, built by scripts/build-assets.mjs), as the asset router serves it. */
async function asset(path: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await env.ASSETS.fetch(`http://roster.test${path}`);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The same-origin scripts and stylesheets an HTML page loads. */
const referencedAssets = (html: string) =>
  [
    ...html.matchAll(/<script[^>]*\ssrc\s*=\s*["']?([^"' >]+)/gi),
    ...html.matchAll(/<link[^>]*rel\s*=\s*["']?stylesheet[^>]*\shref\s*=\s*["']?([^"' >]+)/gi),
  ].map((match) => match[1] as string);

/** Content-Security-Policy as directive → sources. */
function cspDirectives(header: string | null): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const directive of (header ?? "").split(";")) {
    const [name, ...sources] = directive.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

describe("GET /docs", () => {
  it("is an HTML page that loads /v1/openapi.json and nothing from a CDN", async () => {
    const response = await call("GET", "/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.text).toMatch(/<html/i);
    expect(response.text).toContain('data-url="/v1/openapi.json"');
    expect(response.text).not.toMatch(/<script[^>]*\ssrc\s*=\s*["']?(https?:)?\/\//i);
    expect(response.text).not.toMatch(
      /<link[^>]*rel\s*=\s*["']?(stylesheet|preload|modulepreload)[^>]*href\s*=\s*["']?(https?:)?\/\//i,
    );
    expect(response.text).not.toMatch(/@import\s+(url\()?["']?(https?:)?\/\//i);
  });

  it("loads Scalar's API reference from this host's static assets", async () => {
    const { text } = await call("GET", "/docs");
    const assets = referencedAssets(text);
    expect(assets).toEqual(["/docs/assets/api-reference.js"]);
    for (const path of assets) {
      const served = await asset(path);
      expect(served.status, `GET ${path}`).toBe(200);
      expect(served.headers.get("Content-Type"), `GET ${path}`).toMatch(/^(text|application)\/javascript/);
      // Scalar's standalone bundle, as copied by scripts/build-assets.mjs.
      expect(served.text).toContain("createApiReference");
    }
  });

  it("serves the renderer as a static asset, not from the Worker's bundle", async () => {
    expect((await asset("/docs/assets/api-reference.js")).status).toBe(200);
    expect((await call("GET", "/docs/assets/api-reference.js")).status).toBe(404);
  });

  it("configures Scalar to stay on this host (no font CDN, request proxy, telemetry or AI agent)", async () => {
    const { text } = await call("GET", "/docs");
    const attribute = text.match(/data-configuration="([^"]*)"/)?.[1];
    expect(attribute, "a data-configuration attribute").toBeDefined();
    const configuration = JSON.parse((attribute ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
    expect(configuration).toMatchObject({
      withDefaultFonts: false,
      proxyUrl: "",
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
    });
  });
});

describe("HTML pages' security headers", () => {
  it.each(["/docs", "/docs/problems"])(
    "%s allows scripts, styles, fonts and requests only from this host",
    async (path) => {
      const response = await call("GET", path);
      expect(response.status).toBe(200);
      const csp = cspDirectives(response.headers.get("Content-Security-Policy"));
      expect(csp.get("default-src")).toEqual(["'none'"]);
      expect(csp.get("script-src")).toEqual(["'self'"]);
      expect(csp.get("connect-src")).toEqual(["'self'"]);
      expect(csp.get("font-src")).toEqual(["'self'"]);
      expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
      expect(csp.get("img-src")).toEqual(["'self'", "data:"]);
      expect(csp.get("base-uri")).toEqual(["'none'"]);
    },
  );

  it.each(["/docs", "/docs/problems"])("%s forbids framing and MIME sniffing", async (path) => {
    const response = await call("GET", path);
    expect(cspDirectives(response.headers.get("Content-Security-Policy")).get("frame-ancestors")).toEqual(["'none'"]);
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});

describe("Cache-Control: no-store on every /v1 response", () => {
  it.each([
    ["GET", "/v1/openapi.json", 200],
    ["GET", "/v1/customers", 401],
    ["PUT", "/v1/customers", 405],
    ["GET", "/v1/nothing-here", 404],
    ["GET", "/v1", 404],
  ])("%s %s (%i)", async (method, path, status) => {
    const response = await call(method, path);
    expect(response.status).toBe(status);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("on an authenticated success and a validation failure", async () => {
    const { key } = await newOrganization();
    const created = await call("POST", "/v1/customers", { key, body: {} });
    expect(created.status).toBe(201);
    expect(created.headers.get("Cache-Control")).toBe("no-store");
    const listed = await call("GET", "/v1/customers", { key });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("Cache-Control")).toBe("no-store");
    const invalid = await call("POST", "/v1/customers", { key, body: { unknown_field: 1 } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("Cache-Control")).toBe("no-store");
  });

  it("not on pages outside /v1, which a browser may keep", async () => {
    const docs = await call("GET", "/docs");
    expect(docs.headers.get("Cache-Control")).not.toBe("no-store");
  });
});

describe("GET /docs/problems", () => {
  it("is an HTML page", async () => {
    const response = await call("GET", "/docs/problems");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
  });

  it.each(PROBLEM_CODES)("has an entry with id=%s that shows its status %i", async (code, status) => {
    const { text } = await call("GET", "/docs/problems");
    const at = text.search(new RegExp(`\\sid\\s*=\\s*["']?${code}["'\\s>]`));
    expect(at, `an element with id="${code}"`).toBeGreaterThanOrEqual(0);
    // The entry runs to the next element with an id of another code.
    const rest = text.slice(at + code.length + 5);
    const next = rest.search(/\sid\s*=\s*["']?[a-z_]+["'\s>]/);
    const entry = next === -1 ? rest : rest.slice(0, next);
    expect(entry).toMatch(new RegExp(`\\b${status}\\b`));
  });

  it("is where a real problem's type points", async () => {
    const problem = await call<Problem>("GET", "/v1/customers");
    expect(problem.body.type).toBe("/docs/problems#unauthorized");
    const [page = "", fragment = ""] = problem.body.type.split("#");
    const { status, text } = await call("GET", page);
    expect(status).toBe(200);
    expect(text).toMatch(new RegExp(`\\sid\\s*=\\s*["']?${fragment}["'\\s>]`));
  });
});
