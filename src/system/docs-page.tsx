/** Where app.ts serves the OpenAPI document. */
export const OPENAPI_DOCUMENT_URL = "/v1/openapi.json";

/** Scalar's standalone bundle, copied into the static assets by scripts/build-assets.mjs. */
export const API_REFERENCE_SCRIPT = "/docs/assets/api-reference.js";

/**
 * Scalar's configuration: everything that could reach another host is off, so the page stays
 * on this one (the Chromium check in scripts/check-docs-browser.mjs fails on any other request).
 */
const scalarConfiguration = {
  // The default theme loads Inter and JetBrains Mono from fonts.scalar.com; use system fonts.
  withDefaultFonts: false,
  telemetry: false,
  // No request proxy: "try it" requests (API keys included) go straight to this host, never
  // through proxy.scalar.com.
  proxyUrl: "",
  // Scalar's AI agent (on by default when served from localhost) and MCP panel are Scalar's
  // hosted services.
  agent: { disabled: true },
  mcp: { disabled: true },
  // The developer toolbar (shown on localhost by default) links to Scalar's hosted services.
  showDeveloperTools: "never",
  documentDownloadType: "json",
};

/** `/docs`: Scalar's API reference for `/v1/openapi.json`. */
export function DocsPage() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Roster API reference</title>
        <link rel="icon" href="data:," />
      </head>
      <body>
        <noscript>
          The API reference needs JavaScript. The OpenAPI document is at{" "}
          <a href={OPENAPI_DOCUMENT_URL}>{OPENAPI_DOCUMENT_URL}</a>, every problem code at{" "}
          <a href="/docs/problems">/docs/problems</a>.
        </noscript>
        {/* Scalar reads its configuration from this element; type="application/json" keeps it inert. */}
        <script
          id="api-reference"
          type="application/json"
          data-url={OPENAPI_DOCUMENT_URL}
          data-configuration={JSON.stringify(scalarConfiguration)}
        />
        <script src={API_REFERENCE_SCRIPT} />
      </body>
    </html>
  );
}
