import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The machines have about one core of real throughput; a couple of workers keep the
    // integration tests (which start servers) from starving each other.
    maxWorkers: 2,
  },
});
