import type { Hono } from "hono";
import type { Schema } from "hono/types";
import { getPath } from "hono/utils/url";
import { createApp } from "./lib/create-app";
import type { AppEnv } from "./lib/types";

/** What serving needs of an app (the full app of app.ts has a richer route type). */
type App = Pick<ReturnType<typeof createApp>, "fetch" | "routes">;
/** A resource's router, as `app.route()` takes it. */
type Router = Hono<AppEnv, Schema, "/">;

/** The app (createApp: request ids, logs, errors, 404 vs 405) with these routers, in this order. */
function appOf(...routers: Router[]): App {
  const app = createApp();
  for (const router of routers) app.route("/", router);
  return app;
}

/** Runs `load` on the first call only; every later call gets the same app. */
function once(load: () => Promise<App>): () => Promise<App> {
  let loaded: Promise<App> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}

const system = once(() => import("./system").then((m) => appOf(m.systemRouter)));

/**
 * Who serves a path, by its first segment (its first two under /v1): every route of a path
 * lives in one entry, so each app tells 404 from 405 as the full app (app.ts) would. Each
 * entry's modules, and the zod schemas and routes they build, are evaluated on the entry's
 * first request (esbuild keeps a module reached only through `import()` unevaluated until
 * then), so a cold start pays for none of them and a first request only for its own.
 * test/lazy-app.test.ts checks this table against every route of the full app.
 */
const SERVED_BY = new Map<string, () => Promise<App>>(
  Object.entries({
    healthz: system,
    docs: system,
    console: once(() => import("./console").then((m) => appOf(m.consoleRouter))),
    "v1/organizations": once(() => import("./organizations").then((m) => appOf(m.organizationsRouter))),
    "v1/api_keys": once(() => import("./api-keys").then((m) => appOf(m.apiKeysRouter))),
    // The sub-resources live under /v1/customers/{id}/…, and customers/ imports them anyway.
    "v1/customers": once(async () => {
      const [customers, addresses, subscriptions, paymentMethods, money] = await Promise.all([
        import("./customers"),
        import("./addresses"),
        import("./subscriptions"),
        import("./payment-methods"),
        import("./money"),
      ]);
      return appOf(
        customers.customersRouter,
        addresses.addressesRouter,
        subscriptions.subscriptionsRouter,
        paymentMethods.paymentMethodsRouter,
        money.customerMoneyRouter,
      );
    }),
    "v1/charges": once(() => import("./money").then((m) => appOf(m.chargesRouter))),
    "v1/payment_gateway": once(() => import("./payment-gateway").then((m) => appOf(m.paymentGatewayRouter))),
    "v1/webhook_endpoints": once(() => import("./webhooks").then((m) => appOf(m.webhookEndpointsRouter))),
    "v1/webhooks": once(() => import("./webhooks").then((m) => appOf(m.webhookIntakeRouter))),
    "v1/events": once(() => import("./events").then((m) => appOf(m.eventsRouter))),
    "v1/event_destinations": once(() => import("./event-destinations").then((m) => appOf(m.eventDestinationsRouter))),
    // The document describes every route: it is the full app, every module loaded.
    "v1/openapi.json": once(() => import("./app").then((m) => m.buildApp())),
  }),
);

/** No route starts like this path: an app with no routes answers (404, with the usual headers and log line). */
const unmatched = once(async () => createApp());

/** The app that serves this path (loaded on first use). */
export function appServing(path: string): Promise<App> {
  const [, first = "", second = ""] = path.split("/");
  const key = first === "v1" ? `v1/${second}` : first;
  return (SERVED_BY.get(key) ?? unmatched)();
}

/** The Worker's fetch: the request goes to the app serving its path, as Hono reads the path. */
export async function fetchLazily(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const app = await appServing(getPath(request));
  return app.fetch(request, env, ctx);
}
