#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Suture, idempotently: Debian packages (ffmpeg,
# Chromium, DICOM tools), a running PostgreSQL, pnpm, the workspace's packages, the generated Prisma
# client, the Temporal CLI and the console build. Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v dciodvfy >/dev/null 2>&1 || need_apt+=(dicom3tools)
command -v dcmdump >/dev/null 2>&1 || need_apt+=(dcmtk)
command -v pg_isready >/dev/null 2>&1 || need_apt+=(postgresql)
# Label export tests read NIfTI label maps back with nibabel (an independent reader) through Debian's python3.
/usr/bin/python3 -c 'import nibabel, numpy' >/dev/null 2>&1 || need_apt+=(python3-nibabel python3-numpy)
if ((${#need_apt[@]})); then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
fi

if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != "12.4.2" ]]; then
  echo "setup: installing pnpm 12.4.2"
  npm install -g pnpm@12.4.2 >/dev/null 2>&1
fi

# onnxruntime-node's own postinstall fetches CUDA files from a host we cannot reach; the CPU runtime ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [[ ! -f node_modules/.modules.yaml || pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  echo "setup: installing packages"
  pnpm install --frozen-lockfile --reporter=silent
fi

if [[ ! -f prisma/generated/client/client.ts || prisma/schema.prisma -nt prisma/generated/client/client.ts ]]; then
  echo "setup: generating the Prisma client"
  pnpm --filter @suture/db --silent generate >/dev/null
fi

TEMPORAL_CLI="$(bash scripts/ensure-temporal.sh)"
export TEMPORAL_CLI

if [[ ! -f web/build/index.js || -n "$(find web/src web/svelte.config.js web/vite.config.ts -newer web/build/index.js 2>/dev/null | head -1)" ]]; then
  echo "setup: building the console"
  pnpm --filter @suture/web --silent build >/dev/null
fi
