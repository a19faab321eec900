import { createMiddleware } from "hono/factory";
import { randomToken } from "./ids";
import { setResponseHeader } from "./response-headers";
import type { AppEnv } from "./types";

// A caller's id is echoed only when it is short, printable and free of anything that could
// break a log line or a header.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const sent = c.req.header("X-Request-Id");
  const id = sent && SANE_REQUEST_ID.test(sent) ? sent : `req_${randomToken(20)}`;
  c.set("requestId", id);
  await next();
  setResponseHeader(c, "X-Request-Id", id);
});
