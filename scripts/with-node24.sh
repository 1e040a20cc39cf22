#!/bin/sh
# Runs a command with Node 24 and pnpm 10 first on PATH and the workspace installed, in this
# process (exec): signals sent to it reach the command.
# Machines often ship an older Node (20 is end of life), so Node 24 and pnpm are installed
# from the npm registry into a per-user cache on first use; later runs reuse them.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tools="${SEALPOST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sealpost/tools}"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Installs run one at a time: a worker started with `&` and a command run right after it both
# get here on a fresh machine, and two npm or pnpm installs into one directory break each other.
# The lock is a directory holding its owner's pid; a lock whose owner died (or that never got a
# pid within a minute) is taken over.
lock="$tools.lock"
locked=""
release_lock() { if [ -n "$locked" ]; then rm -rf "$lock"; locked=""; fi; }
take_lock() {
  [ -n "$locked" ] && return 0
  mkdir -p "$(dirname "$lock")"
  while ! mkdir "$lock" 2>/dev/null; do
    owner=$(cat "$lock/pid" 2>/dev/null || true)
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$lock"
    elif [ -z "$owner" ] && [ -n "$(find "$lock" -maxdepth 0 -mmin +1 2>/dev/null)" ]; then rm -rf "$lock"
    else sleep 1; fi
  done
  echo $$ > "$lock/pid"
  locked=1
  trap release_lock EXIT
  trap 'release_lock; exit 130' INT
  trap 'release_lock; exit 143' TERM
}

needs_node() { [ "$(node_major node)" -lt 24 ] && { [ ! -x "$tools/node_modules/.bin/node" ] || [ "$(node_major "$tools/node_modules/.bin/node")" -lt 24 ]; }; }
if needs_node; then take_lock; fi
if needs_node; then
  echo "sealpost: installing Node 24 and pnpm 10 into $tools (once)" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
fi
if [ "$(node_major node)" -lt 24 ]; then PATH="$tools/node_modules/.bin:$PATH"; fi

needs_pnpm() { ! command -v pnpm >/dev/null 2>&1 && [ ! -x "$tools/node_modules/.bin/pnpm" ]; }
if needs_pnpm; then take_lock; fi
if needs_pnpm; then
  echo "sealpost: installing pnpm 10 into $tools (once)" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error pnpm@10 >&2
fi
if ! command -v pnpm >/dev/null 2>&1; then PATH="$tools/node_modules/.bin:$PATH"; fi
# The workspace's own tools (tsc, vitest, fauxqs, dynalite) come first, as under `pnpm exec`.
PATH="$root/node_modules/.bin:$PATH"
export PATH

# Install the workspace when it has never been installed or the lockfile changed since.
stamp="$root/node_modules/.modules.yaml"
needs_workspace() { [ ! -f "$stamp" ] || [ "$root/pnpm-lock.yaml" -nt "$stamp" ]; }
if needs_workspace; then take_lock; fi
if needs_workspace; then
  (cd "$root" && pnpm install --frozen-lockfile --reporter=silent >&2)
fi
release_lock
trap - EXIT INT TERM
exec "$@"
