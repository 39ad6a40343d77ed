#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, then bring Suture up with its demo campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The AWS SDK warns on every start that its releases after January 2027 need Node 22; Suture pins Node 20.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)" exec pnpm --silent suture up "$@"
