#!/bin/sh
# The whole test suite: type check, then every test file (unit, conformance, integration).
# Integration tests need Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432, database test);
# they fail, never skip, when a server is missing. `scripts/services.sh` starts them.
set -eu
cd "$(dirname "$0")/.."
echo "== typecheck"
tsc -p tsconfig.json
echo "== tests"
exec vitest run "$@"
