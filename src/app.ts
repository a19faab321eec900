import { createRoute, z } from "@hono/zod-openapi";
import { addressesRouter } from "./addresses";
import { apiKeysRouter } from "./api-keys";
import { consoleRouter } from "./console";
import { customersRouter } from "./customers";
import { eventDestinationsRouter } from "./event-destinations";
import { eventsRouter } from "./events";
import { idempotentOperations, withIdempotencyKey } from "./idempotency/openapi";
import { withConsistencyHeaders } from "./lib/consistency-openapi";
import { createApp } from "./lib/create-app";
import { jsonContent, problemResponses, withRequestIdHeader } from "./lib/openapi";
import { chargesRouter, customerMoneyRouter } from "./money";
import { organizationsRouter } from "./organizations";
import { paymentGatewayRouter } from "./payment-gateway";
import { paymentMethodsRouter } from "./payment-methods";
import { subscriptionsRouter } from "./subscriptions";
import { systemRouter } from "./system";
import { webhookEndpointsRouter, webhookIntakeRouter } from "./webhooks";

const API_DESCRIPTION = `Roster is a customer registry on Cloudflare Workers: D1 holds the records, KV caches alternative-ID lookups.

* Authenticate with \`Authorization: Bearer <api key>\`; every key belongs to one organization and sees only its records (another organization's ids are 404).
* Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`; [/docs/problems](/docs/problems) lists them all.
* A known path called with another method answers \`405 method_not_allowed\` with an \`Allow\` header; an unknown path \`404 not_found\`.
* Bodies are JSON (\`Content-Type: application/json\`), at most 64 KiB; unknown fields are rejected.
* Every response carries \`X-Request-Id\` (yours, if you send a sane one).
* Every \`/v1\` response, error or not, is \`Cache-Control: no-store\`: it carries customer data, so no browser, proxy or CDN may keep it.
* Reads are served by the nearest database copy: send back the last \`Roster-Bookmark\` you got to read your own writes, or \`Roster-Consistency: strong\` for the primary (docs/consistency.md).
* Writes accept \`Idempotency-Key\`: a retry with the same key and request gets the first response again (kept 24 hours), with \`Idempotent-Replayed: true\`.`;

const openApiDocument = createRoute({
  operationId: "getOpenApiDocument",
  method: "get",
  path: "/v1/openapi.json",
  tags: ["Operations"],
  security: [],
  summary: "This OpenAPI document",
  description: "The OpenAPI 3.1 document of this API; every response Roster sends matches it.",
  responses: {
    200: jsonContent(z.record(z.string(), z.unknown()), "The OpenAPI 3.1 document"),
    ...problemResponses("internal_error"),
  },
});

export function buildApp() {
  const app = createApp()
    .route("/", systemRouter)
    .route("/", organizationsRouter)
    .route("/", apiKeysRouter)
    .route("/", customersRouter)
    .route("/", addressesRouter)
    .route("/", subscriptionsRouter)
    .route("/", paymentMethodsRouter)
    .route("/", customerMoneyRouter)
    .route("/", paymentGatewayRouter)
    .route("/", chargesRouter)
    .route("/", webhookEndpointsRouter)
    .route("/", webhookIntakeRouter)
    .route("/", eventsRouter)
    .route("/", eventDestinationsRouter)
    // HTML pages with plain routes: not in the OpenAPI document.
    .route("/", consoleRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An organization's API key (`rk_…`).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The deployment's ADMIN_TOKEN secret.",
  });
  const idempotent = idempotentOperations(app);
  app.openAPIRegistry.registerPath(openApiDocument);
  // The document depends only on code: built and serialized on the first request, then
  // served as-is for the isolate's lifetime (not at module load, which would slow every cold start).
  let serialized: string | undefined;
  const documentJson = () => {
    serialized ??= JSON.stringify(
      withRequestIdHeader(
        withConsistencyHeaders(
          withIdempotencyKey(
            app.getOpenAPI31Document({
              openapi: "3.1.0",
              info: { title: "Roster API", version: "1.0.0", description: API_DESCRIPTION },
              servers: [{ url: "/" }],
            }),
            idempotent,
          ),
          [openApiDocument.path],
        ),
      ),
    );
    return serialized;
  };
  app.get(openApiDocument.path, (c) => c.body(documentJson(), 200, { "Content-Type": "application/json" }));
  return app;
}

/** The typed app, for `hc<AppType>()` from `hono/client`. */
export type AppType = ReturnType<typeof buildApp>;
