#!/usr/bin/env bash
# Makes sure a Temporal CLI (which contains the dev server) exists: TEMPORAL_CLI, `temporal` on PATH,
# or a build cached outside the repo. No Temporal server ships on npm or Debian, so it is built once
# from its Go module (a few minutes, a few GB of module cache). Prints the path.
set -euo pipefail
cache="${SUTURE_CACHE_DIR:-$HOME/.cache/suture}/bin"
if [[ -n "${TEMPORAL_CLI:-}" && -x "${TEMPORAL_CLI}" ]]; then echo "$TEMPORAL_CLI"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [[ -x "$cache/temporal" ]]; then echo "$cache/temporal"; exit 0; fi
export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-temporal: Go is needed to build the Temporal CLI once (or set TEMPORAL_CLI / TEMPORAL_ADDRESS)" >&2
  exit 1
fi
mkdir -p "$cache"
echo "ensure-temporal: building the Temporal CLI v1.5.1 into $cache (once)..." >&2
# v1.5.1: later tags carry a replace directive that `go install` refuses.
GOBIN="$cache" GOFLAGS=-mod=mod go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2
echo "$cache/temporal"
