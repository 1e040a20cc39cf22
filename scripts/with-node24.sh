#!/bin/sh
# Runs a command with Node 24 and pnpm 10 first on PATH and the workspace installed, in this
# process (exec): signals sent to it reach the command.
# Machines often ship an older Node (20 is end of life), so Node 24 and pnpm are installed
# from the npm registry into a per-user cache on first use; later runs reuse them.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tools="${SEALPOST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sealpost/tools}"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major node)" -lt 24 ]; then
  if [ ! -x "$tools/node_modules/.bin/node" ] || [ "$(node_major "$tools/node_modules/.bin/node")" -lt 24 ]; then
    echo "sealpost: installing Node 24 and pnpm 10 into $tools (once)" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
  fi
  PATH="$tools/node_modules/.bin:$PATH"
fi
if ! command -v pnpm >/dev/null 2>&1; then
  if [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
    echo "sealpost: installing pnpm 10 into $tools (once)" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error pnpm@10 >&2
  fi
  PATH="$tools/node_modules/.bin:$PATH"
fi
# The workspace's own tools (tsc, vitest, fauxqs, dynalite) come first, as under `pnpm exec`.
PATH="$root/node_modules/.bin:$PATH"
export PATH

# Install the workspace when it has never been installed or the lockfile changed since.
stamp="$root/node_modules/.modules.yaml"
if [ ! -f "$stamp" ] || [ "$root/pnpm-lock.yaml" -nt "$stamp" ]; then
  (cd "$root" && pnpm install --frozen-lockfile --reporter=silent >&2)
fi
exec "$@"
