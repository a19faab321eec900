import type { Context } from "hono";
import { describeError, logError } from "./logger";
import type { AppEnv } from "./types";

/** What code outside a handler reads of a request's context; every route's context has it. */
export type RequestContext = Pick<Context<AppEnv>, "get" | "env" | "executionCtx">;

/** Hands work to the runtime to finish after the response (cache fills and repairs). */
export type Background = (task: Promise<unknown>) => void;

/**
 * The request's Background. The response no longer depends on the task, so a failure is logged,
 * not answered. Without an execution context (a bare `app.fetch`) the task still runs, just
 * without the runtime waiting for it.
 */
export function inBackground(c: RequestContext, what = "background task"): Background {
  return (task) => {
    const logged = task.catch((error: unknown) =>
      logError(`${what} failed`, {
        request_id: c.get("requestId"),
        error: describeError(error),
      }),
    );
    try {
      c.executionCtx.waitUntil(logged);
    } catch {
      // no execution context
    }
  };
}
