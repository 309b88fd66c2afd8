import { defineConfig } from 'vitest/config';

// Resolve workspace packages to their TypeScript sources, so tests run before any build.
// Not 'module': it makes @opentelemetry/api resolve to a bundler-only build.
const conditions = ['@tasker/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // .ci/run sets TASKER_TEST_REPORT to read pass/fail/skip counts from vitest's JSON report.
    reporters: process.env.TASKER_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.TASKER_TEST_REPORT }]]
      : ['default'],
  },
});
