import type { Context } from "hono";

/**
 * Sets a header on the response a middleware got back from `next()`. Hono's `c.header()` at that
 * point copies the whole response (its body becomes a stream) to be safe with immutable headers;
 * Roster's own responses are mutable, so their headers are set in place, and only a response
 * whose headers are immutable (one passed through from a fetch) takes Hono's copying path.
 */
export function setResponseHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}
