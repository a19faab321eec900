import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { appServing } from "../src/lazy-app";
import { call, expectProblem } from "./helpers";

/** The routes a request can match (middleware, `ALL` and `*` paths, left out). */
const routesOf = (app: { routes: { method: string; path: string }[] }) =>
  app.routes.filter((route) => route.method !== "ALL" && !route.path.includes("*")).map((r) => `${r.method} ${r.path}`);

describe("serving each path from its own lazily loaded app (src/lazy-app.ts)", () => {
  const full = routesOf(buildApp());

  it("serves every route of the full app from the app its path goes to", async () => {
    expect(full.length).toBeGreaterThan(50);
    for (const route of full) {
      const path = route.split(" ")[1] ?? "";
      expect(routesOf(await appServing(path)), route).toContain(route);
    }
  });

  it("serves no route the full app (and so the OpenAPI document) lacks, each from the app of its path", async () => {
    // The document's own app is the full app (it must know every route): left out here.
    const resources = full.filter((route) => route !== "GET /v1/openapi.json");
    const apps = new Set(await Promise.all(resources.map((route) => appServing(route.split(" ")[1] ?? ""))));
    expect(apps.size).toBeGreaterThan(5);
    for (const app of apps) {
      for (const route of routesOf(app)) {
        expect(full, route).toContain(route);
        expect(await appServing(route.split(" ")[1] ?? ""), route).toBe(app);
      }
    }
  });

  it("answers a path no route starts like with 404 not_found", async () => {
    for (const path of ["/v1/nothing", "/v1", "/", "/constructor", "/v1/__proto__"]) {
      expectProblem(await call("GET", path), 404, "not_found");
    }
  });

  it("serves the same OpenAPI document after every other app has served a request", async () => {
    for (const path of ["/healthz", "/v1/customers", "/v1/events", "/v1/webhooks/whe_1", "/v1/api_keys"]) {
      await call("GET", path, { checkDocument: false });
    }
    const served = await call("GET", "/v1/openapi.json");
    const fresh = await buildApp().request("/v1/openapi.json", {}, env);
    expect(served.text).toBe(await fresh.text());
  });
});
