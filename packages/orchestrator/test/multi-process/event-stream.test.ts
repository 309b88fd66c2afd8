/**
 * The live event feed covers every process (issue #15): the API runs in this process, which
 * runs no worker, while a separate worker process completes the tasks. A page that streams from
 * the start sees every event of every transition of the tasks, in id order; one that goes away
 * halfway and comes back with `Last-Event-ID` gets the rest, with no gap and no repeat.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createTaskerApi } from '../../src/api/index';
import { createPostgresStore } from '../../src/index';
import { FlowWorkerProcesses, flowSubmitter, submitAll } from '../support/flow-workers';
import { describeWithPostgres } from '../support/postgres';
import { SseReader, transitionOf } from '../support/sse-reader';

const TASKS = 30;

describeWithPostgres('the live event feed with a separate worker process', (database) => {
  const workers = new FlowWorkerProcesses();
  afterAll(() => workers.killAll());

  it('streams the worker process’s events to an API-only process, and resumes after Last-Event-ID', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const submitter = flowSubmitter(store); // never started: this process runs no worker
    await store.migrate();
    const api = createTaskerApi({ tasker: submitter, events: { pollIntervalMs: 25, batchSize: 50 } });
    const server = await api.listen();
    const streamUrl = `${server.url}/tasker/events/stream?events=task.,step.`;
    try {
      // Both streams open before anything happens: they start after the newest transition.
      const whole = new SseReader(await fetch(streamUrl));
      const first = new SseReader(await fetch(streamUrl));
      await whole.until('the opening comment', () => whole.comments.length > 0);
      await first.until('the opening comment', () => first.comments.length > 0);

      const worker = await workers.start({ TASKER_MP_DATABASE_URL: url, TASKER_MP_POLL_MS: '20' });
      const ids = await submitAll(
        submitter,
        Array.from({ length: TASKS }, (_, i) => ({
          namespace: 'mpflow',
          name: 'later',
          version: '1.0.0',
          context: { i },
        })),
      );
      const completed = (r: SseReader) => r.messages.filter((m) => m.event === 'task.completed').length;

      // The first page goes away once it has seen some of it, as a closed tab does.
      await first.until('some events', () => first.messages.length >= 40);
      await first.cancel();
      const lastId = first.messages.at(-1)?.id as string;
      const resumed = new SseReader(await fetch(streamUrl, { headers: { 'last-event-id': lastId } }));

      await whole.until('every task completed', () => completed(whole) === TASKS, 60_000);
      await resumed.until(
        'every task completed',
        () => completed(first) + completed(resumed) === TASKS,
        60_000,
      );

      // Every transition of the tasks, from the audit, is in the whole stream, in id order.
      const audit = await admin.query<{ id: string }>(
        'select id from tasker.transitions where task_id = any($1::uuid[]) order by id',
        [ids],
      );
      const streamed = [...new Set(whole.messages.map((m) => transitionOf(m.id)))];
      expect(streamed).toEqual(audit.rows.map((r) => Number(r.id)));
      const order = whole.messages.map((m) => m.id.split('.').map(Number) as [number, number]);
      for (let i = 1; i < order.length; i++) {
        const [t0, n0] = order[i - 1] as [number, number];
        const [t1, n1] = order[i] as [number, number];
        expect(t1 > t0 || (t1 === t0 && n1 > n0), `${t0}.${n0} before ${t1}.${n1}`).toBe(true);
      }
      // Steps completed in the worker process: their transitions were written by it, not here.
      const writers = await admin.query<{ pid: number }>(
        `select distinct w.pid from tasker.transitions r join tasker.workers w on w.seq = r.writer
         where r.task_id = any($1::uuid[]) and r.to_state = 'complete' and r.step_id is not null`,
        [ids],
      );
      expect(writers.rows.map((r) => r.pid)).toEqual([worker.pid]);
      expect(whole.messages.filter((m) => m.event === 'step.completed')).toHaveLength(2 * TASKS);

      // Cut and resumed: no gap, no repeat, the same events as the whole stream.
      await resumed.until(
        'as many as the whole stream',
        () => first.messages.length + resumed.messages.length >= whole.messages.length,
      );
      const joined = [...first.messages, ...resumed.messages].map((m) => m.id);
      expect(new Set(joined).size).toBe(joined.length);
      expect(joined).toEqual(whole.messages.map((m) => m.id));
      expect(resumed.messages[0]?.id).not.toBe(lastId);
      await Promise.all([whole.cancel(), resumed.cancel()]);
    } finally {
      await server.close();
      await admin.end();
      await store.close();
    }
  }, 120_000);
});
