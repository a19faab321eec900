import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-app";
import { ApiError } from "../lib/errors";
import { jsonContent, problemResponses } from "../lib/openapi";
import { renderDocsPage } from "./docs-page";
import { renderProblemsPage } from "./problems-page";

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

const html = (body: string) =>
  new Response(body, {
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300" },
  });

/** Renders a page once per isolate: both pages depend only on code. */
function renderedOnce(render: () => string): () => Response {
  let page: string | undefined;
  return () => {
    if (page === undefined) page = render();
    return html(page);
  };
}

export const systemRouter = createRouter()
  .openapi(healthz, async (c) => {
    try {
      await c.env.DB.prepare("SELECT 1").first();
    } catch {
      throw new ApiError("storage_unavailable", "D1 did not answer.");
    }
    return c.json({ status: "ok" as const }, 200);
  })
  .get("/docs", renderedOnce(renderDocsPage))
  .get("/docs/problems", renderedOnce(renderProblemsPage));
