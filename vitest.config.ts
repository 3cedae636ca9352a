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
    // Off unless asked (`npm test -- --coverage`, as CI does): scripts/coverage-summary.mjs then
    // prints lines per folder of the message path from coverage/coverage-summary.json.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/generated/**'],
      reporter: ['json-summary', 'text-summary'],
      reportsDirectory: 'coverage',
      // A failing run still says what it covered (CI prints it before failing).
      reportOnFailure: true,
    },
  },
});
