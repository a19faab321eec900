import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-app";
import { ApiError } from "../lib/errors";
import { jsonContent, problemResponses } from "../lib/openapi";
import { docsPageHtml } from "./docs-page";
import { problemsPageHtml } from "./problems-page";
import { htmlPageHeaders } from "./security-headers";

const healthz = createRoute({
  operationId: "healthz",
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  security: [],
  summary: "Health check",
  description: "200 when D1 answers a query, else 503 `storage_unavailable`.",
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "D1 answers"),
    ...problemResponses("storage_unavailable"),
  },
});

/** Both pages depend only on code; a browser may keep them a few minutes. */
const PAGE_CACHE_CONTROL = "public, max-age=300";

export const systemRouter = createRouter()
  .openapi(healthz, async (c) => {
    try {
      await c.env.DB.prepare("SELECT 1").first();
    } catch {
      throw new ApiError("storage_unavailable", "D1 did not answer.");
    }
    return c.json({ status: "ok" as const }, 200);
  })
  .use("/docs", htmlPageHeaders)
  .use("/docs/problems", htmlPageHeaders)
  .get("/docs", (c) => c.html(docsPageHtml, 200, { "Cache-Control": PAGE_CACHE_CONTROL }))
  .get("/docs/problems", (c) => c.html(problemsPageHtml, 200, { "Cache-Control": PAGE_CACHE_CONTROL }));
