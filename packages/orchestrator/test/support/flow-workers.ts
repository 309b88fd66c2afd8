/**
 * Worker processes of the flow-control tests (`test/multi-process/flow-worker-process.ts`),
 * tracked and stopped by pid, and what the tests need around them: a submitter in the test's
 * own process (it runs nothing) and the claim lines the workers print.
 */
import { fileURLToPath } from 'node:url';
import { ScriptProcesses } from '../../../../test-support/src/script-processes';
import { createTasker, type SubmitRequest, type Tasker, type TaskStore } from '../../src/index';
import { FLOW_TASKS } from '../multi-process/flow-tasks';

const script = fileURLToPath(new URL('../multi-process/flow-worker-process.ts', import.meta.url));

/**
 * Starts engine processes of `flow-worker-process.ts` and stops every one of them, by pid. The
 * script is compiled once and loaded by plain node (see test-support's `script-bundle.ts`).
 */
export class FlowWorkerProcesses extends ScriptProcesses {
  constructor() {
    super(script, { bundle: true });
  }
}

/** A tasker that submits the flow tasks from the test's process; its handlers never run here. */
export function flowSubmitter(store: TaskStore): Tasker {
  return createTasker({
    store,
    tasks: FLOW_TASKS,
    handlers: {
      pause: async () => {
        throw new Error('handlers run in the worker processes');
      },
    },
  });
}

/** Submits every request, `parallelism` at a time; resolves with the task ids in request order. */
export async function submitAll(
  tasker: Tasker,
  requests: readonly SubmitRequest[],
  parallelism = 8,
): Promise<string[]> {
  const ids: string[] = new Array(requests.length);
  let next = 0;
  const lane = async () => {
    while (next < requests.length) {
      const i = next++;
      ids[i] = (await tasker.submit(requests[i] as SubmitRequest)).taskId;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, requests.length) }, lane));
  return ids;
}

/** One claim statement of a worker, as it printed it (see `flow-worker-process.ts`). */
export interface ClaimLine {
  readonly pid: number;
  /** Wall clock (ms) just before the statement went to the driver. */
  readonly sent: number;
  /** Wall clock (ms) just after its result came back (it had committed). */
  readonly returned: number;
  /** The `now` it claimed with (the engine's clock, ms). */
  readonly now: number;
  readonly stepIds: readonly string[];
}

/** Every claim line the processes printed so far. */
export function claimLines(processes: readonly { pid: number; lines: readonly string[] }[]): ClaimLine[] {
  return processes.flatMap((p) =>
    p.lines
      .filter((l) => l.startsWith('claim\t'))
      .map((l) => {
        const [, sent, returned, now, ids] = l.split('\t');
        return {
          pid: p.pid,
          sent: Number(sent),
          returned: Number(returned),
          now: Number(now),
          stepIds: ids === undefined || ids === '' ? [] : ids.split(','),
        };
      }),
  );
}

/** The lines of background errors the processes printed (`error`, `transient`, `connection`). */
export function troubleLines(processes: readonly { lines: readonly string[] }[]): string[] {
  return processes.flatMap((p) => p.lines.filter((l) => /^(error|transient|connection)\t/.test(l)));
}
