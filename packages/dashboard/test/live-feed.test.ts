/**
 * The dashboard's live feed over real HTTP on 127.0.0.1, against an engine on PGlite: with the
 * `router` option, this process's transitions come from the router tap (no `id:` line) and the
 * audit then sends only their `id:` line, so each event reaches the reader once and the last id
 * read always names a place in the audit; without it the feed is the audit stream alone. Both
 * carry the same events. The tap exists only while a stream is open; the feed is guarded by
 * `tasker.events:index`.
 */
import {
  createPgliteStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createJwtAuthenticator, createTaskerApi, type RunningServer } from '@tasker/orchestrator/api';
import { createEventRouter, type EventRouter } from '@tasker/router';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTaskerDashboard } from '../src/index';
import { SECRET, tokenWith } from './support/page-watch';

/** The raw messages of a stream, as text, as they arrive. */
function collect(response: Response) {
  const messages: string[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const done = (async () => {
    for (;;) {
      const read = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (read.done) return;
      buffer += decoder.decode(read.value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        messages.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  })();
  return { messages, close: async () => (await reader.cancel(), await done) };
}

const idLine = (m: string) => /^id: (.+)$/m.exec(m)?.[1];
const dataOf = (m: string) => {
  const line = /^data: (.+)$/m.exec(m)?.[1];
  return line === undefined
    ? undefined
    : (JSON.parse(line) as { id: string; task_id: string; payload: { toState: string } });
};

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let store: TaskStore;
let tasker: Tasker;
let router: EventRouter;
/** Two APIs on one engine (one dashboard each): with the router option, and without it. */
const servers = {
  tapped: undefined as RunningServer | undefined,
  audit: undefined as RunningServer | undefined,
};
const paths = { tapped: '', audit: '' };

beforeAll(async () => {
  store = await createPgliteStore();
  router = createEventRouter();
  const ok = async () => 'ok';
  tasker = createTasker({
    store,
    router,
    onError: () => {},
    tasks: [
      defineTask({
        namespace: 'ops',
        name: 'pair',
        version: '1.0.0',
        steps: [
          { name: 'first', handler: ok },
          { name: 'second', dependsOn: ['first'], handler: ok },
        ],
      }),
    ],
  });
  await tasker.start();
  // A slow poll, so that the tap's copy of each local event comes well before the audit's.
  const api = createTaskerApi({ tasker, events: { pollIntervalMs: 1_000 } });
  paths.tapped = createTaskerDashboard({ api, router }).livePath;
  servers.tapped = await api.listen();
  const plain = createTaskerApi({ tasker, events: { pollIntervalMs: 1_000 } });
  paths.audit = createTaskerDashboard({ api: plain, path: '/plain' }).livePath;
  servers.audit = await plain.listen();
}, 60_000);
afterAll(async () => {
  await servers.tapped?.close();
  await servers.audit?.close();
  await tasker?.stop();
  await store?.close();
});

it('merges the tap with the audit: each event once, ids only from the audit', async () => {
  expect(paths).toEqual({ tapped: '/tasker/ui-live', audit: '/tasker/plain-live' });
  const tapped = collect(await fetch(`${servers.tapped?.url}${paths.tapped}`));
  const audit = collect(await fetch(`${servers.audit?.url}${paths.audit}`));
  expect(Object.keys(router.stats().taps)).toEqual(['dashboard_tasker_ui-live']);
  await until(() => tapped.messages.length > 0 && audit.messages.length > 0, 'the streams to open');
  const { taskId } = await tasker.submit({ namespace: 'ops', name: 'pair', version: '1.0.0', context: {} });
  await tasker.waitFor(taskId, { timeoutMs: 20_000 });
  const complete = (ms: string[]) =>
    ms.some((m) => dataOf(m)?.task_id === taskId && dataOf(m)?.payload.toState === 'complete' && idLine(m));
  await until(() => complete(audit.messages), "the audit's task.complete");
  const last = audit.messages
    .map(idLine)
    .filter((id) => id !== undefined)
    .at(-1);
  await until(() => tapped.messages.some((m) => idLine(m) === last), "the merged stream's catch-up");
  await tapped.close();
  await audit.close();
  // The server hears that the reader went away, and the last stream's end removes the tap.
  await until(() => Object.keys(router.stats().taps).length === 0, 'the tap to be removed');

  const events = (ms: string[]) => ms.map(dataOf).filter((d) => d?.task_id === taskId);
  const auditIds = events(audit.messages).map((d) => String(d?.id));
  // 1 task: pending, in_progress, complete; 2 steps: pending, in_progress, complete each.
  expect(auditIds).toHaveLength(9);
  expect(new Set(auditIds).size).toBe(9);
  const mergedIds = events(tapped.messages).map((d) => d?.id);
  expect(new Set(mergedIds)).toEqual(new Set(auditIds));
  expect(mergedIds).toHaveLength(9); // no event twice
  // The tap delivered them (no id line), then the audit sent each one's id alone, in order.
  const early = tapped.messages.filter((m) => dataOf(m)?.task_id === taskId && idLine(m) === undefined);
  expect(early.length).toBeGreaterThan(0);
  const idsOnly = tapped.messages
    .filter((m) => idLine(m) !== undefined && dataOf(m) === undefined)
    .map(idLine);
  for (const m of early) expect(idsOnly).toContain(dataOf(m)?.id);
  const allIds = tapped.messages.map(idLine).filter((id): id is string => id !== undefined);
  expect(allIds).toEqual(auditIds.filter((id) => allIds.includes(id)).sort(byPosition));
}, 60_000);

const byPosition = (a: string | undefined, b: string | undefined) => {
  const [at, an] = String(a).split('.').map(Number) as [number, number];
  const [bt, bn] = String(b).split('.').map(Number) as [number, number];
  return at - bt || an - bn;
};

it('guards the feed with tasker.events:index, and forwards Last-Event-ID checks', async () => {
  const api = createTaskerApi({
    tasker,
    auth: { authenticate: createJwtAuthenticator({ secret: SECRET }), onRefusedToken: () => {} },
  });
  const dashboard = createTaskerDashboard({ api, router, path: '/guarded' });
  const call = (token?: string, lastEventId?: string) =>
    api.fetch(
      new Request(`http://127.0.0.1${dashboard.livePath}`, {
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
      }),
    );
  expect((await call()).status).toBe(401);
  expect((await call(tokenWith('ada', ['tasker.task:index']))).status).toBe(403);
  const bad = await call(tokenWith('ada', ['tasker.events:index']), 'nope');
  expect(bad.status).toBe(400);
  expect(JSON.stringify(await bad.json())).toContain('Last-Event-ID');
  const ok = await call(tokenWith('ada', ['tasker.events:index']));
  expect(ok.status).toBe(200);
  expect(ok.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  await ok.body?.cancel();
  expect(router.stats().taps).toEqual({});
  // The page and its assets stay open.
  expect((await api.fetch(new Request('http://127.0.0.1/tasker/guarded'))).status).toBe(200);
});
