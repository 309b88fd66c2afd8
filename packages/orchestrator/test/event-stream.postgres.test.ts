/**
 * The live event feed on PostgreSQL, where transactions commit out of id order. A transition
 * whose transaction is still open when a later one commits holds the stream back until it
 * commits, and is then delivered in id order; one that rolls back stops holding it. Also:
 * filters, `Last-Event-ID` validation, heartbeats, and the end of streams when the server closes.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTaskerApi, type RunningServer } from '../src/api/index';
import { createPostgresStore, createTasker, defineTask, type Tasker } from '../src/index';
import { describeWithPostgres } from './support/postgres';
import { SseReader, transitionOf } from './support/sse-reader';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const single = defineTask({
  namespace: 'feed',
  name: 'single',
  version: '1.0.0',
  steps: [{ name: 'only', handler: async () => ({}) }],
});

describeWithPostgres('the live event feed over transactions that commit out of id order', (database) => {
  let tasker: Tasker;
  let server: RunningServer;
  let serverClosed = false;
  let base: string;
  let writer: pg.Client;
  let holder: pg.Client;

  beforeAll(async () => {
    const url = database().url;
    tasker = createTasker({
      store: await createPostgresStore({ connectionString: url, poolSize: 4 }),
      tasks: [single],
      onError: () => {},
    });
    await (await tasker.store()).migrate();
    const api = createTaskerApi({ tasker, events: { pollIntervalMs: 20, heartbeatMs: 300 } });
    server = await api.listen();
    base = `${server.url}/tasker`;
    writer = new pg.Client({ connectionString: url });
    holder = new pg.Client({ connectionString: url });
    await Promise.all([writer.connect(), holder.connect()]);
  }, 60_000);
  afterAll(async () => {
    if (!serverClosed) await server?.close();
    await Promise.all([writer?.end(), holder?.end()]);
    await (await tasker?.store())?.close();
  });

  /** Writes one task transition in `client`'s open transaction (or alone); returns its id. */
  const transition = async (client: pg.Client, taskId: string, reason: string): Promise<number> =>
    Number(
      (
        await client.query(
          `insert into tasker.transitions (task_id, from_state, to_state, reason, metadata, created_at)
           values ($1, 'error', 'resolved_manually', $2, '{}', $3) returning id`,
          [taskId, reason, Date.now()],
        )
      ).rows[0].id,
    );

  it('holds back a later commit until an earlier id commits, then sends both in id order', async () => {
    const { taskId } = await tasker.submit({
      namespace: 'feed',
      name: 'single',
      version: '1.0.0',
      context: {},
    });
    const stream = new SseReader(await fetch(`${base}/events/stream?task_id=${taskId}`));
    await stream.until('the opening comment', () => stream.comments.includes('tasker events'));

    await holder.query('begin');
    const early = await transition(holder, taskId, 'early');
    const late = await transition(writer, taskId, 'late');
    expect(late).toBeGreaterThan(early);
    // Many polls pass: the committed later row must not be sent past the open earlier one.
    await pause(600);
    expect(stream.messages).toEqual([]);
    await holder.query('commit');
    await stream.until(
      'both transitions',
      () => new Set(stream.messages.map((m) => transitionOf(m.id))).size === 2,
    );
    expect([...new Set(stream.messages.map((m) => transitionOf(m.id)))]).toEqual([early, late]);
    expect(stream.messages.map((m) => m.event)).toEqual([
      'task.before_transition',
      'task.resolved_manually',
      'task.before_transition',
      'task.resolved_manually',
    ]);
    expect(stream.messages[1]?.data).toMatchObject({
      id: `${early}.1`,
      name: 'task.resolved_manually',
      task_id: taskId,
      payload: { taskId, namespace: 'feed', taskName: 'single', version: '1.0.0' },
    });
    await stream.cancel();
  }, 30_000);

  it('moves past an id whose transaction rolled back', async () => {
    const { taskId } = await tasker.submit({
      namespace: 'feed',
      name: 'single',
      version: '1.0.0',
      context: {},
    });
    const stream = new SseReader(await fetch(`${base}/events/stream?task_id=${taskId}&events=task.resolved`));
    await stream.until('the opening comment', () => stream.comments.includes('tasker events'));
    await holder.query('begin');
    await transition(holder, taskId, 'never');
    const after = await transition(writer, taskId, 'after');
    await pause(300);
    expect(stream.messages).toEqual([]);
    await holder.query('rollback');
    await stream.until('the transition after the rolled-back one', () => stream.messages.length === 1);
    // The prefix filter keeps task.resolved_manually only.
    expect(stream.messages.map((m) => m.id)).toEqual([`${after}.1`]);
    await stream.cancel();
  }, 30_000);

  it('refuses a malformed Last-Event-ID or prefix with a 400 naming it', async () => {
    const bad = await fetch(`${base}/events/stream`, { headers: { 'last-event-id': 'latest' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'Last-Event-ID', message: expect.stringContaining('expected an event id') },
    ]);
    const prefix = await fetch(`${base}/events/stream?events=task.,bad%20name`);
    expect(prefix.status).toBe(400);
    expect(((await prefix.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('events');
  });

  it('sends heartbeats while idle and ends open streams when the server closes', async () => {
    const stream = new SseReader(await fetch(`${base}/events/stream?events=nothing.matches`));
    await stream.until('two heartbeats', () => stream.comments.filter((c) => c === 'heartbeat').length >= 2);
    const closing = Date.now();
    serverClosed = true;
    await server.close(); // resolves only once the open stream has ended
    console.log(`server closed with a stream open in ${Date.now() - closing} ms`);
    await stream.closed();
    expect(stream.ended).toBe(true);
  }, 30_000);
});
