/**
 * A task is one trace across processes: two engine processes (spawned, real PostgreSQL) run
 * the steps of tasks submitted by this process, each with the real OpenTelemetry SDK and an
 * in-memory exporter. The spans of all three processes together must form, per task, one tree:
 * the root `tasker.task.execution` (emitted by whichever process finalised the task, with the
 * id reserved here at submit) with every step attempt under it and every handler span under
 * its attempt, every parent id present, each child's time range inside its parent's, and step
 * spans from both engine processes. No durations are asserted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { afterAll, expect, it } from 'vitest';
// The orchestrator's PostgreSQL test helper, shared rather than copied (pg resolves from there).
import { describeWithPostgres } from '../../../../test-support/src/postgres';
import { createTaskerTracing, readTaskTrace } from '../../src/otel/index';
import { testTracing } from '../support/otel-sdk';
import { childrenOf, type SpanRecord, treeProblems } from '../support/span-tree';
import { traceHandlers, traceTask } from './trace-task';

const TASKS = 12;
const script = fileURLToPath(new URL('./trace-worker.ts', import.meta.url));

interface Worker {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly lines: string[];
  readonly exited: Promise<unknown>;
}

function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  const worker: Worker = { child, pid: child.pid, lines: [], exited: once(child, 'exit') };
  let partial = '';
  return new Promise((resolve, reject) => {
    void worker.exited.then(() => reject(new Error(`worker ${worker.pid} exited before it was ready`)));
    child.stdout?.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        worker.lines.push(line);
        if (line === 'ready') resolve(worker);
      }
    });
  });
}

type Hr = [number, number];
interface ExportedSpan extends Omit<SpanRecord, 'start' | 'end' | 'events' | 'resource'> {
  start: Hr;
  end: Hr;
  events: { name: string; attributes: Record<string, unknown>; time: Hr }[];
}
const ns = (t: Hr) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

describeWithPostgres('a task’s trace across two engine processes', (database) => {
  const workers: Worker[] = [];
  afterAll(() => {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) process.kill(w.pid, 'SIGKILL');
  });

  it('forms one tree per task with the root span reserved at submit and steps from both processes', async () => {
    const url = database().url;
    const sdk = testTracing();
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('submitter'),
      idGenerator: sdk.idGenerator,
    });
    const store = await createPostgresStore({ connectionString: url, poolSize: 2 });
    try {
      const submitter = createTasker({
        store,
        tasks: [traceTask],
        handlers: traceHandlers,
        traceContext: tracing.traceContext,
      });
      await store.migrate();
      const env = { TASKER_XP_DATABASE_URL: url };
      workers.push(await startWorker(env), await startWorker(env));

      const ids: string[] = [];
      for (let i = 0; i < TASKS; i++) {
        ids.push(
          (await submitter.submit({ namespace: 'xp', name: 'order', version: '1.0.0', context: { i } }))
            .taskId,
        );
      }
      for (const id of ids)
        expect((await submitter.waitFor(id, { timeoutMs: 120_000 })).state).toBe('complete');

      const spans: (SpanRecord & { pid: number })[] = [];
      for (const w of workers) {
        process.kill(w.pid, 'SIGTERM');
        await w.exited;
        const line = w.lines.find((l) => l.startsWith('spans\t'));
        expect(line, `worker ${w.pid} printed its spans`).toBeDefined();
        const dump = JSON.parse((line as string).slice('spans\t'.length)) as {
          pid: number;
          spans: ExportedSpan[];
        };
        expect(dump.pid).toBe(w.pid);
        for (const s of dump.spans) {
          spans.push({
            ...s,
            start: ns(s.start),
            end: ns(s.end),
            events: s.events.map((e) => ({ ...e, time: ns(e.time) })),
            resource: {},
            pid: dump.pid,
          });
        }
        expect(w.lines.filter((l) => l.startsWith('error\t'))).toEqual([]);
      }

      const pidsPerTask: number[] = [];
      for (const id of ids) {
        const record = (await submitter.getTask(id))?.traceContext;
        const reserved = readTaskTrace(record, id);
        expect(reserved?.derived).toBe(false);
        const tree = spans.filter((s) => s.traceId === reserved?.traceId);
        expect(treeProblems(tree), `task ${id}`).toEqual([]);
        const root = tree.find((s) => s.parentSpanId === undefined) as SpanRecord;
        expect(root.name).toBe('tasker.task.execution');
        expect(root.spanId).toBe(reserved?.rootSpanId);
        expect(root.start).toBe(BigInt(record?.['tasker.started_at'] ?? 0) * 1_000_000n);
        const steps = childrenOf(tree, root);
        expect(
          steps.map((s) => `${s.attributes['tasker.step_name']}#${s.attributes['tasker.attempt']}`).sort(),
        ).toEqual(['charge#1', 'charge#2', 'reserve#1', 'ship#1', 'validate#1']);
        for (const s of steps) {
          expect(s.name).toBe('tasker.step.execution');
          expect(childrenOf(tree, s).map((c) => c.name)).toEqual([
            `${s.attributes['tasker.step_name']}.work`,
          ]);
        }
        const failed = steps.find(
          (s) => s.attributes['tasker.step_name'] === 'charge' && s.attributes['tasker.attempt'] === 1,
        );
        expect(failed?.status.code).toBe(2);
        expect(failed?.events.map((e) => e.name)).toEqual(['exception', 'tasker.step.backoff']);
        pidsPerTask.push(new Set(steps.map((s) => s.pid)).size);
      }
      const stepPids = new Set(spans.filter((s) => s.name === 'tasker.step.execution').map((s) => s.pid));
      expect([...stepPids].sort()).toEqual(workers.map((w) => w.pid).sort());
      // At least one task had steps in both processes, under the one root span.
      expect(Math.max(...pidsPerTask)).toBe(2);
    } finally {
      await store.close();
    }
  }, 240_000);
});
