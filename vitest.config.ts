import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration files share Redis and a database server; run files two at a time.
    maxWorkers: 2,
    globalSetup: ['test/setup/build.ts', 'test/setup/global.ts'],
  },
});
