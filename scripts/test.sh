#!/usr/bin/env bash
# One command runs every test: installs what is missing, then lint, type checks, and every vitest tier
# (unit, integration on real PostgreSQL/Temporal/S3, browser end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)"
export TEMPORAL_CLI
echo "== format"
pnpm --silent format:check
echo "== lint"
pnpm --silent lint
echo "== typecheck"
pnpm --silent typecheck
echo "== tests"
pnpm exec vitest run --project unit --project int --project e2e "$@"
