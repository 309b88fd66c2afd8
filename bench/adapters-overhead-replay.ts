/**
 * The telemetry calls of the adapters-overhead workload without the engine and PostgreSQL: the
 * engine's own event publisher and the tracing middleware, driven for 4-step chains in a loop as
 * the engine drives them (a task's start, each step's claim, handler call and completion with
 * the next step ready, the task's end), against the full telemetry stack of the benchmark.
 * CPU time per step (GC included) on − off, where off runs the same loop with no router and no
 * middleware. The loop is the same every run, so a change in the adapters shows up here with
 * far less noise than in the whole workload on a loaded machine.
 *
 * Run: `node --conditions=@tasker/source --expose-gc --import tsx bench/adapters-overhead-replay.ts`
 * (`REPLAY_CHAINS`, default 5000; `REPLAY_ROUNDS`, default 5; with `REPLAY_PART=trace|metrics|logs|middleware`
 * only that part is on: the router's other backends are removed; with `REPLAY_PART=hand`, the
 * same telemetry wired by hand, `adapters-overhead-hand.ts`, instead of Tasker's stack). It imports the engine's
 * publisher and middleware runner from their source files: they are not public, and this is
 * the engine's own code, not a copy of it.
 */
import { EventPublisher } from '../packages/orchestrator/src/engine/event-publisher';
import { runWithMiddleware, type StepMiddleware } from '../packages/orchestrator/src/engine/middleware';
import type { Change, TaskInfo } from '../packages/orchestrator/src/store/records';
import { createTelemetryStack } from './adapters-overhead-stack';

const CHAINS = Number(process.env.REPLAY_CHAINS ?? 5_000);
const ROUNDS = Number(process.env.REPLAY_ROUNDS ?? 5);
const PART = process.env.REPLAY_PART;
const STEP_NAMES = ['s1', 's2', 's3', 's4'];

const stack = createTelemetryStack();
if (PART !== undefined && PART !== 'middleware' && PART !== 'hand')
  for (const name of ['trace', 'metrics', 'logs']) if (name !== PART) stack.router.removeBackend(name);
let transitionId = 0;
let stepSerial = 0;

async function chain(publisher: EventPublisher, middleware: readonly StepMiddleware[], task: TaskInfo) {
  let at = Date.now();
  const stepIds = STEP_NAMES.map(() => `step-${++stepSerial}`);
  publisher.publish({
    transitions: [{ id: ++transitionId, kind: 'task', task, from: 'pending', to: 'in_progress', at }],
    ready: [],
  });
  for (let k = 0; k < 4; k++) {
    const stepId = stepIds[k] as string;
    const stepName = STEP_NAMES[k] as string;
    const common = { kind: 'step', task, stepId, stepName, attempt: 1, retryLimit: 3 } as const;
    const claimedAt = at;
    const claimId = ++transitionId;
    publisher.publish({
      transitions: [{ id: claimId, ...common, from: 'pending', to: 'in_progress', at }],
      ready: [],
    });
    publisher.handling(common, at, claimId);
    const controller = new AbortController();
    await runWithMiddleware(
      middleware,
      {
        taskId: task.id,
        stepId,
        stepName,
        namespace: task.namespace,
        taskName: task.name,
        version: task.version,
        attempt: 1,
        retryLimit: 3,
        traceContext: task.traceContext,
        signal: controller.signal,
      },
      async () => 1,
    );
    at = Date.now();
    const change: Change = {
      transitions: [
        { id: ++transitionId, ...common, from: 'in_progress', to: 'complete', at, startedAt: claimedAt },
      ],
      ready:
        k < 3
          ? [{ task, stepIds: [stepIds[k + 1] as string], stepNames: [STEP_NAMES[k + 1] as string] }]
          : [],
    };
    if (k === 3)
      change.transitions.push({
        id: ++transitionId,
        kind: 'task',
        task,
        from: 'in_progress',
        to: 'complete',
        at,
      });
    publisher.publish(change);
  }
}

async function run(on: boolean): Promise<number> {
  const publisher = new EventPublisher(
    on && PART !== 'middleware' && PART !== 'hand' ? stack.router : undefined,
  );
  const middleware = !on
    ? []
    : PART === 'hand'
      ? [stack.hand.middleware]
      : PART === undefined || PART === 'middleware' || PART === 'trace'
        ? [stack.tracing.middleware]
        : [];
  const tasks: TaskInfo[] = [];
  for (let i = 0; i < CHAINS; i++)
    tasks.push({
      id: `task-${i}-${Math.random().toString(36).slice(2)}`,
      namespace: 'bench',
      name: 'chain',
      version: '1.0.0',
      traceContext: stack.tracing.traceContext(),
      createdAt: Date.now(),
    });
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  for (const task of tasks) await chain(publisher, middleware, task);
  (globalThis as { gc?: () => void }).gc?.();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / (CHAINS * 4);
}

await run(true);
await run(false);
const diffs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const off = await run(false);
  const on = await run(true);
  diffs.push(on - off);
  console.log(
    `round ${r + 1}: on ${on.toFixed(2)} µs/step, off ${off.toFixed(2)}, on − off ${(on - off).toFixed(2)}`,
  );
}
diffs.sort((a, b) => a - b);
console.log(
  `median on − off: ${diffs[Math.floor(diffs.length / 2)]?.toFixed(2)} µs CPU per step (part: ${PART ?? 'all'})`,
);
console.log(JSON.stringify(await stack.counts()));
await stack.shutdown();
