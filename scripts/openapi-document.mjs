// @ts-check
// Prints the OpenAPI document the given Worker bundle serves at /v1/openapi.json.
// The document depends only on code (routes and their zod schemas), so the bundle wrangler
// builds for deployment can answer this one request in plain Node: no workerd, no bindings.
import { pathToFileURL } from "node:url";

const bundle = process.argv[2];
if (!bundle) throw new Error("usage: node scripts/openapi-document.mjs <worker bundle>");
const { default: worker } = await import(pathToFileURL(bundle).href);
const context = { waitUntil() {}, passThroughOnException() {}, props: {} };
const response = await worker.fetch(
  new Request("http://localhost/v1/openapi.json"),
  { LOG_REQUESTS: "false" },
  context,
);
if (response.status !== 200) throw new Error(`GET /v1/openapi.json answered ${response.status}`);
process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
