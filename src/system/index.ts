import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../lib/create-app";
import { ApiError } from "../lib/errors";
import { jsonContent, problemResponses } from "../lib/openapi";
import { DocsPage } from "./docs-page";
import { ProblemsPage } from "./problems-page";
import { htmlPageHeaders } from "./security-headers";

const healthz = createRoute({
  operationId: "healthz",
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  security: [],
  summary: "Health check",
  description:
    "200 when D1 answers a query, else 503 `storage_unavailable`. Requests within a second of each other (on one Worker instance) share one D1 probe.",
  responses: {
    200: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "D1 answers"),
    ...problemResponses("storage_unavailable"),
  },
});

/** Both pages depend only on code; a browser may keep them a few minutes. */
const PAGE_CACHE_CONTROL = "public, max-age=300";

/**
 * A page as served. It depends only on code: rendered on its first request and kept for the
 * isolate's lifetime (not at module load, which every cold start would pay for).
 */
function renderedOnFirstRequest(page: () => unknown): () => string {
  let html: string | undefined;
  return () => {
    html ??= `<!doctype html>${page()}`;
    return html;
  };
}

const docsPageHtml = renderedOnFirstRequest(DocsPage);
const problemsPageHtml = renderedOnFirstRequest(ProblemsPage);

/** Requests within this long of a D1 probe share its answer: health checks cost one query a second. */
export const HEALTH_PROBE_SHARED_FOR_MS = 1_000;

let lastProbe: { startedAt: number; answered: Promise<boolean> } | null = null;

/** Whether D1 answers, from a probe started in this isolate less than a second ago if there is one. */
function d1Answers(binding: D1Database): Promise<boolean> {
  const now = Date.now();
  if (!lastProbe || now - lastProbe.startedAt >= HEALTH_PROBE_SHARED_FOR_MS || now < lastProbe.startedAt) {
    const answered = Promise.resolve()
      // The binding itself, no session: the health check asks whether the primary answers.
      .then(() => binding.prepare("SELECT 1").first())
      .then(
        () => true,
        () => false,
      );
    lastProbe = { startedAt: now, answered };
  }
  return lastProbe.answered;
}

export const systemRouter = createRouter()
  .openapi(healthz, async (c) => {
    if (!(await d1Answers(c.env.DB))) throw new ApiError("storage_unavailable", "D1 did not answer.");
    return c.json({ status: "ok" as const }, 200);
  })
  .use("/docs", htmlPageHeaders)
  .use("/docs/problems", htmlPageHeaders)
  .get("/docs", (c) => c.html(docsPageHtml(), 200, { "Cache-Control": PAGE_CACHE_CONTROL }))
  .get("/docs/problems", (c) => c.html(problemsPageHtml(), 200, { "Cache-Control": PAGE_CACHE_CONTROL }));
