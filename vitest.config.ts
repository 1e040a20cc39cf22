import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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
