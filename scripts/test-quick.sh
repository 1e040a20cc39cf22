#!/bin/sh
# The inner-loop subset: unit and conformance tests of the libraries and the CLI, with the local
# servers but without the long end-to-end runs (crash and outage rounds, whole pipelines, the
# main job, bench --quick, examples). No type check: `pnpm typecheck` does that.
set -eu
cd "$(dirname "$0")/.."
exec vitest run packages/envelope packages/store packages/aws-kms packages/kms-emulator packages/transport/test/transports.test.ts apps/cli apps/receiver/test/config.test.ts "$@"
