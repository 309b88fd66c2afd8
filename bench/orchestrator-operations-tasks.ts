/**
 * The task of the operations benchmark's cancellation rounds, shared by the benchmark (which
 * submits and cancels it) and its worker processes (which run it,
 * `orchestrator-operations-worker.ts`): `ops.hold@1.0.0`, one step `hold` that waits until its
 * signal fires. The worker prints when the handler started and when its signal fired, with the
 * time as `performance.timeOrigin + performance.now()` (epoch ms with fractions, comparable
 * between processes of one machine).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, type HandlerMap } from '@tasker/orchestrator';

export const holdTask = defineTask({
  namespace: 'ops',
  name: 'hold',
  version: '1.0.0',
  steps: [{ name: 'hold', handler: 'hold' }],
});

/** Epoch ms with fractions. */
export const epochMs = () => performance.timeOrigin + performance.now();

// The longest a timer may wait (about 24.8 days): "until aborted".
const FOREVER_MS = 2 ** 31 - 1;

/** The handler a worker process runs `hold` with; `print` writes one line to stdout. */
export function holdHandlers(print: (line: string) => void): HandlerMap {
  return {
    hold: async (ctx) => {
      ctx.signal.addEventListener('abort', () => print(`aborted\t${ctx.stepId}\t${epochMs()}`), {
        once: true,
      });
      print(`started\t${ctx.stepId}`);
      await sleep(FOREVER_MS, undefined, { signal: ctx.signal });
      return null;
    },
  };
}
