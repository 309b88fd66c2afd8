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

const unit = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'examples/*/test/**/*.test.ts',
  'test-support/test/**/*.test.ts',
];

// Unit files that run in a process of their own ('unit-isolated', beside 'unit'): one that
// mocks a module with vi.mock (the module under test must be loaded afresh, against the mock),
// and those that count garbage collections or measure the heap, where what earlier files left
// behind in a shared process would be counted too.
const ownProcess = [
  'packages/metrics-native/src/process-metrics.test.ts',
  'packages/metrics-native/src/allocation.test.ts',
  'packages/router/src/event-router.memory.test.ts',
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
          include: unit,
          exclude: ['**/node_modules/**', ...multiProcess, ...ownProcess],
          // A worker process runs one file after another (it is not replaced for each file): a new
          // process for each of some 130 files, and every workspace module evaluated again in it,
          // cost about as much as the tests themselves. Each file still gets its own databases,
          // ports and servers; the files that need a process of their own are in 'unit-isolated'.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'unit-isolated',
          include: ownProcess,
        },
      },
      {
        extends: true,
        test: {
          name: 'multi-process',
          include: multiProcess,
          fileParallelism: false,
          // One worker process for the files, one after another (as in 'unit'): a new one for
          // each file cost some 0.5 s between files.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
