/**
 * The cancellation part of the operations benchmark (issue #13, prompt cancellation): the time
 * from `tasker.cancel(taskId)` in this process to the abort of the task's running handler in a
 * worker process.
 *
 * Two worker processes (`orchestrator-operations-worker.ts`, the engine's default settings: a
 * 2.5 s lease renewed every third of it) run `ops.hold`, whose one step waits on its signal.
 * Each round submits `perRound` tasks from this process (an engine that is never started), waits
 * until every handler has started, then cancels the tasks one at a time, each after a random
 * pause of up to 300 ms, and waits for its handler's abort before the next. The latency is the
 * worker's abort time minus the time just before `cancel` was called (both
 * `performance.timeOrigin + performance.now()` on one machine). Afterwards each task must be
 * `cancelled` and each handler must have seen its abort; a round that fails this fails the
 * benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createPostgresStore, createTasker, parseConfig } from '@tasker/orchestrator';
import { type ScriptProcess, ScriptProcesses } from '../test-support/src/script-processes';
import { epochMs, holdTask } from './orchestrator-operations-tasks';

const WORKER_SCRIPT = fileURLToPath(new URL('./orchestrator-operations-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const WAIT_MS = 10_000;
const MAX_PAUSE_MS = 300;

export interface CancelOptions {
  readonly workers: number;
  readonly rounds: number;
  readonly perRound: number;
  readonly log: (line: string) => void;
}

export interface CancelSample {
  readonly round: number;
  /** `cancel` → the handler's abort, ms. */
  readonly latencyMs: number;
  /** How long the `cancel` call itself took, ms. */
  readonly cancelCallMs: number;
  /** Which worker process ran the handler (1-based). */
  readonly worker: number;
}

export interface CancelResult {
  readonly samples: CancelSample[];
  readonly leaseMs: number;
  readonly problems: string[];
  readonly notes: string[];
}

async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = WAIT_MS) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > deadline) return undefined;
    await sleep(2);
  }
}

/** Runs the cancellation rounds on the (empty) database at `url`. */
export async function measureCancellation(url: string, options: CancelOptions): Promise<CancelResult> {
  const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
  await store.migrate();
  const processes = new ScriptProcesses(WORKER_SCRIPT, { cwd: REPO_ROOT });
  const problems: string[] = [];
  const notes: string[] = [];
  const samples: CancelSample[] = [];
  const notHere = async () => {
    throw new Error('handlers run in the worker processes');
  };
  // Submits and cancels only: it is never started.
  const tasker = createTasker({ store, tasks: [holdTask], handlers: { hold: notHere } });
  const started: ScriptProcess[] = [];
  try {
    for (let i = 0; i < options.workers; i++) started.push(await processes.start({ OPS_DATABASE_URL: url }));
    const lineOf = (kind: string, stepId: string) => {
      for (const [w, p] of started.entries()) {
        const line = p.lines.find((l) => l.startsWith(`${kind}\t${stepId}\t`) || l === `${kind}\t${stepId}`);
        if (line !== undefined) return { worker: w + 1, fields: line.split('\t') };
      }
      return undefined;
    };
    for (let round = 1; round <= options.rounds; round++) {
      const tasks: string[] = [];
      for (let i = 0; i < options.perRound; i++)
        tasks.push(
          (await tasker.submit({ namespace: 'ops', name: 'hold', version: '1.0.0', context: { round, i } }))
            .taskId,
        );
      const steps = new Map<string, string>();
      for (const taskId of tasks) {
        steps.set(taskId, (await tasker.getTask(taskId))?.steps[0]?.id as string);
      }
      const running = await until(
        () => [...steps.values()].filter((s) => lineOf('started', s) !== undefined).length,
        (n) => n === tasks.length,
      );
      if (running === undefined) {
        problems.push(`round ${round}: not every hold handler started within ${WAIT_MS} ms`);
        break;
      }
      for (const taskId of tasks) {
        const stepId = steps.get(taskId) as string;
        await sleep(Math.random() * MAX_PAUSE_MS);
        const at = epochMs();
        await tasker.cancel(taskId, { actor: 'bench' });
        const cancelCallMs = epochMs() - at;
        const aborted = await until(
          () => lineOf('aborted', stepId),
          (l) => l !== undefined,
        );
        if (aborted === undefined) {
          problems.push(`round ${round}: the handler of step ${stepId} was not aborted within ${WAIT_MS} ms`);
          continue;
        }
        samples.push({
          round,
          latencyMs: Number(aborted.fields[2]) - at,
          cancelCallMs,
          worker: aborted.worker,
        });
      }
      for (const taskId of tasks) {
        const state = (await tasker.getTask(taskId))?.state;
        if (state !== 'cancelled') problems.push(`round ${round}: task ${taskId} ended ${state}`);
      }
      options.log(
        `  round ${round}: cancel → abort ${samples
          .filter((s) => s.round === round)
          .map((s) => s.latencyMs.toFixed(1))
          .join(', ')} ms`,
      );
    }
    for (const [w, p] of started.entries()) {
      const errors = p.lines.filter((l) => l.startsWith('error\t'));
      if (errors.length > 0) notes.push(`worker ${w + 1}: ${errors.length} error lines, e.g. ${errors[0]}`);
      const exit = await processes.stop(p, 'SIGTERM');
      if (exit.code !== 0)
        problems.push(`worker ${w + 1} did not stop cleanly (${exit.code ?? exit.signal})`);
    }
  } finally {
    await processes.killAll();
    await store.close();
  }
  return { samples, leaseMs: parseConfig().engine.leaseMs, problems, notes };
}
