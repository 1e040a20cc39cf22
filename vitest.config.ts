import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every Node process the tests start (CLI, worker, emulators) reuses compiled code, which
    // roughly halves the CPU time of each start (0.8 s -> 0.4 s for `sealpost --version` here).
    env: { NODE_COMPILE_CACHE: resolve(import.meta.dirname, 'node_modules/.cache/node-compile-cache') },
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Limits that hold on a machine busy with other work: a test that needs 20 s on a quiet
    // machine can take several times that when it shares the cores. Nothing asserts speed.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // The machines have about one core of real throughput; a couple of workers keep the
    // integration tests (which start servers) from starving each other.
    maxWorkers: 2,
  },
});
