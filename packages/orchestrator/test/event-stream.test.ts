/**
 * The live event feed's flow control, on PGlite with a worker in this process: a client that
 * does not read gets no more reads of the audit made for it (so a slow client costs no memory
 * while the audit grows), and catches up once it reads; a client that goes away, or an API that
 * closes, ends the stream's reads. Also owner scoping: a principal's stream carries only its
 * own tasks' events.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtAuthenticator, createTaskerApi, type TaskerApi } from '../src/api/index';
import { createPgliteStore, createTasker, defineTask, type Tasker } from '../src/index';
import { SseReader } from './support/sse-reader';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const token = (sub: string) =>
  new SignJWT({
    permissions: ['tasker.events:index', 'tasker.task:create', 'tasker.task:index_all'].slice(
      0,
      sub === 'ops' ? 3 : 2,
    ),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

const two = defineTask({
  namespace: 'feed',
  name: 'two',
  version: '1.0.0',
  steps: [
    { name: 'a', handler: async () => ({}) },
    { name: 'b', dependsOn: ['a'], handler: async () => ({}) },
  ],
});

describe('the live event feed: back-pressure, owner scoping, disconnects', () => {
  let tasker: Tasker;
  let api: TaskerApi;
  let scoped: TaskerApi;
  let pages = 0;

  beforeAll(async () => {
    const store = await createPgliteStore({
      onQuery: (q) => {
        if (q.name === 'audit_page') pages++;
      },
    });
    tasker = createTasker({
      store,
      tasks: [two],
      config: { engine: { pollIntervalMs: 20 } },
      onError: () => {},
    });
    await tasker.start();
    api = createTaskerApi({
      tasker,
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        scopeToOwner: true,
        onRefusedToken: () => {},
      },
      events: { pollIntervalMs: 20, batchSize: 10 },
    });
    scoped = createTaskerApi({
      tasker,
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        scopeToOwner: true,
        onRefusedToken: () => {},
      },
      events: { pollIntervalMs: 20 },
    });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await scoped?.close();
    await tasker?.stop();
  });

  const submit = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        (await tasker.submit({ namespace: 'feed', name: 'two', version: '1.0.0', context: { i } })).taskId,
      );
    for (const id of ids) await tasker.waitFor(id, { timeoutMs: 20_000 });
    return ids;
  };
  const open = async (headers: Record<string, string> = {}) => {
    const response = await api.fetch(
      new Request('http://127.0.0.1/tasker/events/stream', {
        headers: { authorization: `Bearer ${await token('ops')}`, ...headers },
      }),
    );
    expect(response.status).toBe(200);
    return response;
  };

  it('validates its options when the API is made, naming the field', () => {
    expect(() => createTaskerApi({ tasker, events: { batchSize: 0 } })).toThrow(
      'events.batchSize: expected an integer from 1 to 10000, received 0',
    );
    expect(() => createTaskerApi({ tasker, events: { heartbeatMs: 1.5 } })).toThrow('events.heartbeatMs');
  });

  it('reads the audit only as fast as the client reads the stream', async () => {
    const response = await open();
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the opening comment
    const first = reader.read(); // asks for more: the tail starts at the newest transition
    await pause(100);
    await submit(10); // 10 tasks: over 100 transitions, pages of 10 rows
    expect((await first).done).toBe(false);
    const before = pages;
    await pause(500); // 25 poll intervals, the client reading nothing
    expect(pages - before).toBeLessThanOrEqual(1);
    // Reading drains the backlog, a page per read.
    const text: string[] = [];
    while (!text.join('').includes('task.completed')) {
      const { value } = await reader.read();
      text.push(new TextDecoder().decode(value));
    }
    expect(pages - before).toBeGreaterThan(5);
    await reader.cancel();
  }, 30_000);

  it("sends a principal only its own tasks' events; one with tasker.task:index_all sees all", async () => {
    const stream = async (sub: string) =>
      new SseReader(
        await scoped.fetch(
          new Request('http://127.0.0.1/tasker/events/stream?events=task.completed', {
            headers: { authorization: `Bearer ${await token(sub)}` },
          }),
        ),
      );
    const [alice, ops] = [await stream('alice'), await stream('ops')];
    await alice.until('open', () => alice.comments.length > 0);
    await ops.until('open', () => ops.comments.length > 0);
    const submitAs = async (sub: string) => {
      const r = await scoped.fetch(
        new Request('http://127.0.0.1/tasker/tasks', {
          method: 'POST',
          headers: { authorization: `Bearer ${await token(sub)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ namespace: 'feed', name: 'two', version: '1.0.0', context: {} }),
        }),
      );
      expect(r.status).toBe(201);
      return ((await r.json()) as { task_id: string }).task_id;
    };
    const mine = await submitAs('alice');
    const theirs = await submitAs('bob');
    await ops.until('both tasks completed', () => ops.messages.length === 2);
    expect(ops.messages.map((m) => m.data.task_id).sort()).toEqual([mine, theirs].sort());
    await alice.until("alice's task completed", () => alice.messages.length === 1);
    await pause(200);
    expect(alice.messages.map((m) => m.data.task_id)).toEqual([mine]);
    await Promise.all([alice.cancel(), ops.cancel()]);
  }, 30_000);

  it('stops reading the audit when the client goes away, and when the API closes', async () => {
    const gone = new SseReader(await open());
    await gone.until('the opening comment', () => gone.comments.length > 0);
    await gone.cancel();
    await pause(100);
    const before = pages;
    await pause(400);
    expect(pages).toBe(before);

    const held = new SseReader(await open());
    await held.until('the opening comment', () => held.comments.length > 0);
    await pause(100);
    expect(pages).toBeGreaterThan(before);
    await api.close();
    await held.closed();
    const after = pages;
    await pause(400);
    expect(pages).toBe(after);
    const refused = await api.fetch(
      new Request('http://127.0.0.1/tasker/events/stream', {
        headers: { authorization: `Bearer ${await token('ops')}` },
      }),
    );
    expect(refused.status).toBe(503);
  }, 30_000);
});
