import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { BOOKMARK_HEADER, CONSISTENCY_HEADER, sessionStartFor } from "./consistency";
import { RequestDb } from "./db";
import { ApiError } from "./errors";
import { describeError, logError, logInfo } from "./logger";
import { allowedMethodsFinder } from "./method-not-allowed";
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
  const allowedMethods = allowedMethodsFinder(app.routes);

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

  const methodNotAllowed = (c: Context<AppEnv>, allowed: string[]) =>
    new ApiError("method_not_allowed", `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`, {
      headers: { Allow: allowed.join(", ") },
    });

  app.onError((error, c) => {
    let apiError = toApiError(error);
    // "/v1/customers/provision" fits "/v1/customers/{id}" only as a reserved id: a GET there
    // meant the static route, so it is a 405, not a bad id.
    const pathOnly = apiError.options.errors?.every((fieldError) => fieldError.pointer.startsWith("#/path/"));
    if (apiError.code === "validation_failed" && pathOnly) {
      const allowed = allowedMethods(c.req.path, true);
      if (allowed.length) apiError = methodNotAllowed(c, allowed);
    }
    if (apiError.status >= 500) {
      logError("request failed", {
        request_id: requestIdOf(c),
        route: c.req.routePath,
        error: describeError(error),
      });
    }
    return apiError.toResponse(requestIdOf(c));
  });

  app.notFound((c) => {
    // A static path (/v1/customers/search) allows its own methods, not those of `{id}`.
    const staticAllowed = allowedMethods(c.req.path, true);
    const allowed = staticAllowed.length ? staticAllowed : allowedMethods(c.req.path);
    const error = allowed.length
      ? methodNotAllowed(c, allowed)
      : new ApiError("not_found", "There is nothing at this path.");
    return error.toResponse(requestIdOf(c));
  });

  return app;
}
