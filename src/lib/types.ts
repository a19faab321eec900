import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { RequestDb } from "./db";
import type { AnswerKeeper } from "./kept-answer";

/** What a request knows once the middleware has run. */
export type AppVariables = {
  requestId: string;
  /** The request's D1 session, set once by the app (createApp); work with no request behind it (background, queue consumer, Cron) opens its own primary session with `primarySession` (lib/db.ts). Only the API-key lookup and the health probe use the binding itself (no organization's data; the primary). */
  db: RequestDb;
  /** Set by the API-key middleware. */
  orgId: string;
  apiKeyId: string;
  /** The raw request body as read by the JSON body middleware (fingerprints use it). */
  rawBody: Uint8Array;
  /** Set by the idempotency middleware while the request holds an Idempotency-Key lock (lib/kept-answer.ts). */
  answerKeeper?: AnswerKeeper;
};

export type AppEnv = { Bindings: Env; Variables: AppVariables };

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
