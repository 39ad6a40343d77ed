#!/usr/bin/env bash
# One command runs every test: installs what is missing, then lint, type checks, and every vitest tier
# (unit, integration on real PostgreSQL/Temporal/S3, browser end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)"
export TEMPORAL_CLI
# The AWS SDK warns on every start that its releases after January 2027 need Node 22; Suture pins Node 20.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
echo "== format"
pnpm --silent format:check
echo "== lint"
pnpm --silent lint
echo "== typecheck"
pnpm --silent typecheck
echo "== tests"
pnpm exec vitest run --project unit --project int --project e2e "$@"
