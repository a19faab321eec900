import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { BOOKMARK_HEADER, CONSISTENCY_HEADER, sessionStartFor } from "./consistency";
import { RequestDb } from "./db";
import { ApiError } from "./errors";
import { describeError, logError, logInfo } from "./logger";
import { routeTable } from "./method-not-allowed";
import { requestId } from "./request-id";
import { setResponseHeader } from "./response-headers";
import { isStorageError } from "./storage-errors";
import type { AppEnv } from "./types";
import { validationHook } from "./validation-hook";

/** A router for one resource; every router shares the validation hook. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });
}

function fromHttpException(error: HTTPException): ApiError {
  switch (error.status) {
    case 400:
      return new ApiError("invalid_json", "The request body is not valid JSON.");
    case 401:
      return new ApiError("unauthorized");
    case 413:
      return new ApiError("payload_too_large");
    case 415:
      return new ApiError("unsupported_media_type");
    default:
      return new ApiError("internal_error", "An unexpected error occurred.");
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (isStorageError(error))
    return new ApiError("storage_unavailable", "The database did not answer; nothing was written. Retry.");
  return new ApiError("internal_error", "An unexpected error occurred.");
}

const requestIdOf = (c: Context<AppEnv>) => c.get("requestId") ?? "req_unknown";

/**
 * The app: request ids, the request's D1 session, one JSON log line per request, problem+json
 * for every error, 404 vs 405 for unmatched requests, `Cache-Control: no-store` on everything
 * under /v1.
 */
export function createApp() {
  const app = createRouter();
  const routes = routeTable(app.routes);

  app.use(requestId);
  // The one place a request's D1 handle comes from: one session per request (lib/db.ts), and
  // its latest bookmark on the response, error or not, once the request has used it.
  app.use(async (c, next) => {
    if (!c.env?.DB) return next();
    const db = new RequestDb(c.env.DB, () =>
      sessionStartFor(c.req.method, c.req.header(CONSISTENCY_HEADER), c.req.header(BOOKMARK_HEADER)),
    );
    c.set("db", db);
    await next();
    const bookmark = db.bookmark();
    if (bookmark !== null) setResponseHeader(c, BOOKMARK_HEADER, bookmark);
  });
  // Every /v1 response carries customer data (or says something about it): no browser, proxy
  // or CDN may keep a copy. Set after the handler, so errors, 404 and 405 get it too.
  app.use("/v1/*", async (c, next) => {
    await next();
    setResponseHeader(c, "Cache-Control", "no-store");
  });
  app.use(async (c, next) => {
    const started = Date.now();
    await next();
    if (c.env?.LOG_REQUESTS === "false") return;
    logInfo("request", {
      request_id: requestIdOf(c),
      method: c.req.method,
      // The pattern, never the path: paths can hold alternative IDs. "/*" means no route matched.
      route: c.req.routePath === "/*" ? null : c.req.routePath,
      status: c.res.status,
      duration_ms: Date.now() - started,
      org_id: c.get("orgId") ?? null,
    });
  });

  /** 405 with the path's methods as `Allow`, or 404 when the path has none. */
  const unrouted = (c: Context<AppEnv>, allowed: string[]) =>
    allowed.length
      ? new ApiError("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`, {
          headers: { Allow: allowed.join(", ") },
        })
      : new ApiError("not_found", "There is nothing at this path.");

  // A route word is never a parameter: `PUT /v1/customers/import` is not a PUT of customer
  // "import". Answered here, before any route's middleware (so before authentication, like
  // every 405: the route table is public), and so before a body is read or an Idempotency-Key
  // keeps the answer.
  app.use(async (c, next) => {
    const allowed = routes.onRouteWord(c.req.path);
    if (allowed === null || allowed.includes(c.req.method)) return next();
    return unrouted(c, allowed).toResponse(requestIdOf(c));
  });

  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      logError("request failed", {
        request_id: requestIdOf(c),
        route: c.req.routePath,
        error: describeError(error),
      });
    }
    return apiError.toResponse(requestIdOf(c));
  });

  app.notFound((c) => unrouted(c, routes.allowed(c.req.path)).toResponse(requestIdOf(c)));

  return app;
}
