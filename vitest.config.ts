import { defineConfig } from 'vitest/config';

// Resolve workspace packages to their TypeScript sources, so tests run before any build.
// Not 'module': it makes @opentelemetry/api resolve to a bundler-only build.
const conditions = ['@tasker/source', 'node', 'development|production'];

// Tests that run several engine processes against one PostgreSQL (or spawn a whole example)
// get their own project, whose files run one at a time, after every other project
// (groupOrder 1), so that nothing else starves their lease renewals.
const multiProcess = [
  'packages/*/test/multi-process/**/*.test.ts',
  'examples/*/test/multi-process/**/*.test.ts',
];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time (vitest's default here would be cores − 1 = 1): most files wait on
    // PostgreSQL, timers or a browser. Each file has its own databases and ports, so two never
    // meet; the multi-process project still runs its files one at a time, after this one.
    maxWorkers: 2,
    // Decides the run's PostgreSQL (the machine's or an embedded one) and browser, once.
    globalSetup: ['./test-support/src/global-setup.ts'],
    // The summary says what the run tested against. .ci/run sets TASKER_TEST_REPORT to read
    // pass/fail/skip counts from vitest's JSON report.
    reporters: [
      'default',
      ['./test-support/src/summary-reporter.ts', { root: import.meta.dirname }] as [string, { root: string }],
      ...(process.env.TASKER_TEST_REPORT
        ? [['json', { outputFile: process.env.TASKER_TEST_REPORT }] as ['json', { outputFile: string }]]
        : []),
    ],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
            'test-support/test/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', ...multiProcess],
        },
      },
      {
        extends: true,
        test: {
          name: 'multi-process',
          include: multiProcess,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
