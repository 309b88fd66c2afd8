/**
 * Lifecycle events survive crashes. Three traced engine processes (spawned, real PostgreSQL,
 * the real OpenTelemetry SDK with Tasker's trace backend, default leases and heartbeats) run
 * 2,000 three-step tasks submitted by this process, which reserves each task's root span id at
 * submit and routes its own events to the same backends (it too may recover a dead process's
 * events). Thirty times, at random moments, one of them is killed with SIGKILL and a new one
 * takes its place (a spare, compiled once and spawned ahead of its turn so that its loading is
 * not spent between two kills; it starts its engine when its turn comes). Each process writes every event its router delivered and every span it
 * ended to its own file, synchronously, before its backend returns: what it delivered before
 * dying is on disk.
 *
 * At the end:
 * - the union of the delivered events, one per event id, is exactly the set of events that the
 *   transition audit implies (the engine's transition → event table): nothing a dead process
 *   committed is missing, nothing is invented. `workflow.viable_steps_discovered` and
 *   `step.handle` are not transitions and are left out;
 * - every completed task has a root span with the span id reserved at submit, and no process
 *   emitted two root spans for one task;
 * - events delivered by more than one process (the price of at-least-once) are counted and
 *   reported.
 */

import { randomInt } from 'node:crypto';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { describeWithPostgres } from '../../../../test-support/src/postgres';
import { type ScriptProcess, ScriptProcesses } from '../../../../test-support/src/script-processes';
import { eventKey, expectedEvents, readAudit } from '../../../orchestrator/test/support/expected-events';
import { createTaskerTracing, readTaskTrace, TASK_SPAN_NAME } from '../../src/otel/index';
import { testTracing } from '../support/otel-sdk';
import { crashChain, keyFields } from './crash-events-task';

const TASKS = 2_000;
const KILLS = 30;
const PROCESSES = 3;
/** Spares loading at once, ahead of their turn. */
const SPARES = 2;
const script = fileURLToPath(new URL('./crash-events-worker.ts', import.meta.url));
/** Not transitions: published when steps become ready and when a handler is invoked; not recovered. */
const NOT_RECOVERED = new Set([
  'workflow.viable_steps_discovered',
  'step.handle',
  'observability.step.handle',
]);

describeWithPostgres('lifecycle events across SIGKILLs', (database) => {
  const processes = new ScriptProcesses(script, { bundle: true });
  const dir = mkdtempSync(join(tmpdir(), 'tasker-crash-events-'));
  afterAll(async () => {
    await processes.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts an engine process writing to its own file, numbered in spawn order from 1; a spare
   * resolves once loaded, and starts its engine on SIGUSR2.
   */
  let started = 0;
  const numbers = new Map<number, number>();
  async function start(url: string, spare = false): Promise<ScriptProcess> {
    const n = ++started;
    const env = { TASKER_CE_DATABASE_URL: url, TASKER_CE_OUT: join(dir, `${n}.jsonl`) };
    const p = await (spare
      ? processes.start({ ...env, TASKER_CE_SPARE: '1' }, 'loaded')
      : processes.start(env));
    numbers.set(p.pid, n);
    return p;
  }

  it('delivers every event the audit implies, and a root span per completed task with its reserved id', async () => {
    const url = database().url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const sdk = testTracing();
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('submitter'),
      idGenerator: sdk.idGenerator,
    });
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    // The submitter publishes the events of the tasks it creates: to its own file (number 0).
    const own = openSync(join(dir, '0.jsonl'), 'a');
    const submitter = createTasker({
      store,
      tasks: [crashChain],
      traceContext: tracing.traceContext,
      // It also recovers dead processes' events like any process with a router: it gets the
      // same backends as the workers, the trace backend included.
      router: createEventRouter({
        mappings: [{ eventName: '**', backends: ['handover', 'trace'], priority: 'critical' }],
        backends: {
          trace: tracing.backend,
          handover: {
            name: 'handover',
            handle: (event) => {
              const p = event.payload as Record<string, unknown>;
              writeSync(
                own,
                `${JSON.stringify({ kind: 'event', id: event.id, name: event.name, fields: keyFields(p) })}\n`,
              );
            },
          },
        },
      }),
      handlers: {
        work: async () => {
          throw new Error('handlers run in the worker processes');
        },
      },
    });
    try {
      const live: ScriptProcess[] = [];
      const killed = new Set<number>();
      live.push(...(await Promise.all(Array.from({ length: PROCESSES }, () => start(url)))));
      const spares = Array.from({ length: SPARES }, () => start(url, true));

      const taskIds: string[] = [];
      const submitting = (async () => {
        for (let i = 0; i < TASKS; i++) {
          taskIds.push(
            (await submitter.submit({ namespace: 'ce', name: 'chain', version: '1.0.0', context: { i } }))
              .taskId,
          );
          if (i % 25 === 24) await new Promise((r) => setTimeout(r, 15));
        }
      })();

      // Thirty kills at random moments, a fresh process for each.
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, randomInt(150, 700)));
        const victim = live.splice(randomInt(0, live.length), 1)[0] as ScriptProcess;
        killed.add(numbers.get(victim.pid) as number);
        await processes.stop(victim, 'SIGKILL');
        const next = (await spares.shift()) as ScriptProcess;
        process.kill(next.pid, 'SIGUSR2');
        await next.waitFor('ready');
        live.push(next);
        if (k + SPARES < KILLS) spares.push(start(url, true));
      }
      await submitting;

      const open = async () =>
        Number(
          (
            await admin.query(
              `select count(*)::int as n from tasker.tasks where id = any($1::uuid[]) and state <> 'complete'`,
              [taskIds],
            )
          ).rows[0].n,
        );
      for (let i = 0; (await open()) > 0; i++) {
        if (i > 1_200) throw new Error(`tasks still open after 2 min: ${await open()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Every killed process's events are recovered by a survivor (a few seconds after its death);
      // the live ones are this process and the workers still running.
      for (let i = 0; ; i++) {
        const pending = await admin.query(
          `select count(*)::int as n from tasker.workers where publishes and not events_recovered and stopped_at is null
             and not (pid = any($1::int[]))`,
          [[process.pid, ...live.map((w) => w.pid)]],
        );
        if (pending.rows[0].n === 0) break;
        if (i > 600)
          throw new Error(`events of ${pending.rows[0].n} dead processes not recovered after 60 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const w of live) expect(await processes.stop(w, 'SIGTERM')).toEqual({ code: 0, signal: null });

      // What the processes delivered, by file (one per process).
      const events = new Map<string, { key: string; procs: Set<number> }>();
      const completedBy = new Map<string, number[]>();
      const roots = new Map<string, { spanId: string; proc: number }[]>();
      let delivered = 0;
      for (const file of readdirSync(dir)) {
        // One file per process, numbered in start order.
        const proc = Number(file.replace('.jsonl', ''));
        for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
          if (line === '') continue;
          const r = JSON.parse(line);
          if (r.kind === 'event') {
            if (NOT_RECOVERED.has(r.name) || !/^(task|step|workflow|observability)\./.test(r.name)) continue;
            delivered++;
            if (r.name === 'task.completed') {
              completedBy.set(r.fields.taskId, [...(completedBy.get(r.fields.taskId) ?? []), proc]);
            }
            const seen = events.get(r.id);
            if (seen === undefined)
              events.set(r.id, { key: eventKey(r.name, r.fields), procs: new Set([proc]) });
            else {
              expect(seen.key).toBe(eventKey(r.name, r.fields));
              seen.procs.add(proc);
            }
          } else if (r.kind === 'span' && r.name === TASK_SPAN_NAME) {
            roots.set(r.taskId, [...(roots.get(r.taskId) ?? []), { spanId: r.spanId, proc }]);
          }
        }
      }

      // The submitter's root spans (it is never killed: its in-memory exporter holds them).
      for (const span of sdk.exporter.getFinishedSpans()) {
        if (span.name !== TASK_SPAN_NAME) continue;
        const taskId = String(span.attributes['tasker.task_id']);
        roots.set(taskId, [...(roots.get(taskId) ?? []), { spanId: span.spanContext().spanId, proc: 0 }]);
      }

      const audit = await readAudit((text, params) => admin.query(text, params), taskIds);
      const expected = expectedEvents(audit, { handled: false }).filter(
        (k) => !NOT_RECOVERED.has(k.slice(0, k.indexOf(' '))),
      );
      const got = [...events.values()].map((e) => e.key).sort();
      const missing = difference(expected, got);
      const extra = difference(got, expected);
      expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10) }).toEqual({
        missing: [],
        extra: [],
      });
      expect(got.length).toBe(expected.length);

      // A root span per completed task, with the id reserved at submit, never two from one process.
      const problems: string[] = [];
      for (const id of taskIds) {
        const reserved = readTaskTrace((await submitter.getTask(id))?.traceContext, id);
        const spans = roots.get(id) ?? [];
        if (spans.length === 0) {
          const by = (completedBy.get(id) ?? []).map((n) => (killed.has(n) ? `${n} (killed)` : String(n)));
          problems.push(`${id}: no root span; task.completed delivered by ${by.join(', ') || 'none'}`);
        }
        for (const s of spans) {
          if (s.spanId !== reserved?.rootSpanId)
            problems.push(`${id}: root ${s.spanId} is not the reserved one`);
        }
        const procs = spans.map((s) => s.proc);
        if (new Set(procs).size !== procs.length) problems.push(`${id}: two root spans from one process`);
      }
      expect(problems.slice(0, 10)).toEqual([]);

      const repeated = [...events.values()].filter((e) => e.procs.size > 1).length;
      const rootRepeats = [...roots.values()].filter((s) => s.length > 1).length;
      const kills = await admin.query(
        `select count(*)::int as n from tasker.workers where stopped_at is null`,
      );
      console.log(
        `[crash events] ${TASKS} tasks, ${KILLS} SIGKILLs, ${expected.length} events implied by the audit, ` +
          `${delivered} delivered; ${repeated} delivered by more than one process; ` +
          `${rootRepeats} tasks with a root span from two processes; ${kills.rows[0].n} processes died unstopped`,
      );
    } finally {
      await submitter.stop();
      await store.close();
      await sdk.provider.shutdown();
      await admin.end();
    }
  }, 420_000);
});

/** Items of sorted `a` not matched one-for-one in sorted `b`. */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n === 0) out.push(x);
    else counts.set(x, n - 1);
  }
  return out;
}
