#!/usr/bin/env bash
# npm run lint:openapi: builds the Worker as `npm run build` does, writes the document it
# serves at /v1/openapi.json to dist/openapi.json, and lints that with `redocly lint`
# (rules: redocly.yaml; reasoned exceptions: .redocly.lint-ignore.yaml). Offline.
set -euo pipefail
cd "$(dirname "$0")/.."

export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export REDOCLY_TELEMETRY=off

wrangler deploy --dry-run --outdir dist --env "" >/dev/null
node scripts/openapi-document.mjs dist/index.js >dist/openapi.json
redocly lint dist/openapi.json --config redocly.yaml
