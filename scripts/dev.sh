#!/usr/bin/env bash
# npm run dev: local D1/KV state under .wrangler/, migrations applied, the development
# organization and key created if missing, then `wrangler dev` on http://127.0.0.1:8787 (or $PORT).
# Offline: nothing here needs a Cloudflare account or the internet.
set -euo pipefail
cd "$(dirname "$0")/.."

export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
# wrangler dev otherwise keeps a local trace store of full request URLs (alternative IDs included).
export X_LOCAL_OBSERVABILITY=false

DEV_KEY="rk_dev_local_development_key"
DEV_ADMIN_TOKEN="dev_admin_token"
DEV_ALTERNATIVE_ID_HASH_KEY="dev_alternative_id_hash_key"
# 32 bytes in base64, as the console's session key must be (development only).
DEV_CONSOLE_SESSION_KEY="cm9zdGVyLWNvbnNvbGUtZGV2LXNlc3Npb24ta2V5ISE="
# 32 bytes in base64, development only: encrypts payment gateway secret keys at rest.
DEV_GATEWAY_ENCRYPTION_KEY="W0SgQD4lxrC5tTkfP5K8o6lftObgPTuX3TDW0zPuXq8="

wrangler d1 migrations apply DB --local
wrangler d1 execute DB --local --file scripts/seed-dev.sql >/dev/null

ROSTER_URL="http://127.0.0.1:${PORT:-8787}"

cat <<MSG

  Roster is starting on ${ROSTER_URL}
  Development API key:  ${DEV_KEY}   (organization org_dev)
  Admin token:          ${DEV_ADMIN_TOKEN}   (POST /v1/organizations)
  Payment gateway:      "test" (no network; pm_card_visa etc., see docs/money.md)
  API reference:        ${ROSTER_URL}/docs
  Console:              ${ROSTER_URL}/console   (sign in with the development key)

MSG

# wrangler's own access log prints each request's full path, which can hold an alternative ID:
# drop those lines and keep everything else (Roster logs each request as its route pattern).
# ALLOW_HTTP_DESTINATIONS: event destinations on this machine (`npm run listen`); wrangler.toml
# keeps it off so that no deployment allows it. IMPORT_ITEMS_PER_MINUTE: the import budget keeps
# one organization from stalling the others of a deployment; on this machine there is one, and
# loading a test data set should not wait for it (wrangler.toml keeps 6,000 a minute).
exec wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --var "ADMIN_TOKEN:${DEV_ADMIN_TOKEN}" \
  --var "ALTERNATIVE_ID_HASH_KEY:${DEV_ALTERNATIVE_ID_HASH_KEY}" --var "ALLOW_HTTP_DESTINATIONS:true" \
  --var "IMPORT_ITEMS_PER_MINUTE:600000" \
  --var "CONSOLE_SESSION_KEY:${DEV_CONSOLE_SESSION_KEY}" \
  --var "GATEWAY_ENCRYPTION_KEY:${DEV_GATEWAY_ENCRYPTION_KEY}" "$@" \
  > >(grep --line-buffered -Ev '^(\x1b\[[0-9;]*m)*\[wrangler:info\](\x1b\[[0-9;]*m)* (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) ') 2>&1
