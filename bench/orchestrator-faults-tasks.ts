/**
 * The tasks of the faults benchmark's SIGKILL rounds, shared by the benchmark (which submits
 * them) and its worker processes (which run them, `orchestrator-faults-worker.ts`):
 *
 * - `faults.hang@1.0.0`, one step `hang`: its first attempt hangs until its signal fires (the
 *   victim process runs it and is killed); a later attempt returns at once;
 * - `faults.busy@1.0.0`, a 4-step chain of `busy` steps that each take `BUSY_MS`: the backlog
 *   that keeps the survivor busy.
 *
 * Handlers are named here and given by each process, so that one process can run them and
 * another only submit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, type HandlerMap } from '@tasker/orchestrator';

/** How long a `busy` step takes (ms): a short I/O-bound step. */
export const BUSY_MS = 20;

export const hangTask = defineTask({
  namespace: 'faults',
  name: 'hang',
  version: '1.0.0',
  steps: [{ name: 'hang', handler: 'hang' }],
});

export const busyTask = defineTask({
  namespace: 'faults',
  name: 'busy',
  version: '1.0.0',
  steps: [
    { name: 'b1', handler: 'busy' },
    { name: 'b2', handler: 'busy', dependsOn: ['b1'] },
    { name: 'b3', handler: 'busy', dependsOn: ['b2'] },
    { name: 'b4', handler: 'busy', dependsOn: ['b3'] },
  ],
});

/** Steps per `busy` task. */
export const BUSY_STEPS = 4;

// The longest a timer may wait (about 24.8 days): "until aborted".
const FOREVER_MS = 2 ** 31 - 1;

/** The handlers a worker process runs the tasks with. */
export const faultHandlers: HandlerMap = {
  hang: async (ctx) => {
    if (ctx.attempt === 1) await sleep(FOREVER_MS, undefined, { signal: ctx.signal });
    return ctx.attempt;
  },
  busy: async (ctx) => {
    await sleep(BUSY_MS, undefined, { signal: ctx.signal });
    return ctx.attempt;
  },
};
