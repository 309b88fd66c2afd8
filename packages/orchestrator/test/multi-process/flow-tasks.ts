/**
 * The definitions of the flow-control tests (issue #14), shared by the worker processes
 * (`flow-worker-process.ts`) and the tests that submit them. Every step runs the `pause`
 * handler, which sleeps a random time between `handlerConfig.minMs` and `maxMs`; with
 * `record: true` it also writes its start and end, on the database's clock, to `handler_runs`.
 */
import { defineTask } from '../../src/index';

/** One step per task, at most 2 at once per customer: 20–50 ms each, recorded. */
export const limitedTask = defineTask({
  namespace: 'mpflow',
  name: 'limited',
  version: '1.0.0',
  concurrency: { key: 'context.customerId', limit: 2 },
  steps: [{ name: 'call', handler: 'pause', handlerConfig: { minMs: 20, maxMs: 50, record: true } }],
});

/** One step of 80–120 ms: a backlog that takes a few seconds to drain; the submit sets the priority. */
export const rankedTask = defineTask({
  namespace: 'mpflow',
  name: 'ranked',
  version: '1.0.0',
  steps: [{ name: 'work', handler: 'pause', handlerConfig: { minMs: 80, maxMs: 120 } }],
});

/** The rate limit of {@link throttledTask}: 20 starts a second, 5 more at once. */
export const THROTTLE = { key: 'partner-api', limit: 20, periodMs: 1_000, burst: 5 } as const;

/** One short step per task, held to {@link THROTTLE} across every worker. */
export const throttledTask = defineTask({
  namespace: 'mpflow',
  name: 'throttled',
  version: '1.0.0',
  rateLimit: THROTTLE,
  steps: [{ name: 'call', handler: 'pause', handlerConfig: { minMs: 1, maxMs: 5 } }],
});

/** Two short steps, `first → second`, for delayed starts. */
export const laterTask = defineTask({
  namespace: 'mpflow',
  name: 'later',
  version: '1.0.0',
  steps: [
    { name: 'first', handler: 'pause', handlerConfig: { minMs: 1, maxMs: 5 } },
    { name: 'second', handler: 'pause', handlerConfig: { minMs: 1, maxMs: 5 }, dependsOn: ['first'] },
  ],
});

export const FLOW_TASKS = [limitedTask, rankedTask, throttledTask, laterTask];

/** The table `record: true` handlers write to (the tests create it). */
export const HANDLER_RUNS_DDL = `
create table handler_runs (
  step_id uuid primary key,
  started_at timestamptz not null,
  ended_at timestamptz
);`;
