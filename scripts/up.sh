#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, then bring Suture up with its demo campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)" exec pnpm --silent suture up "$@"
