/**
 * Text PostgreSQL cannot store, sent where the API stores or queries with it: each request is a
 * valid one with one field replaced (U+0000, a lone surrogate, or JSON nested 400,000 levels),
 * and each gets a 400 that names that field. Nothing reaches the driver as an error (a 5xx), on
 * PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, createPostgresStore, type TaskStore } from '../src/index';
import { type ApiHarness, type Called, startApiHarness } from './support/api-harness';
import { describeWithPostgres } from './support/postgres';

const NUL = 'a\u0000b';
const SURROGATE = 'a\ud800b';
/** A JSON text nested `levels` arrays deep (no JavaScript value is built: it would not stringify). */
const deepJson = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

const VALID_TASK = { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'o-1' } };
/** A definition without a context schema: its context is stored as sent, keys and all. */
const VALID_AUDIT = { namespace: 'ops', name: 'audit', version: '2.0.0', context: { any: 'thing' } };
const JSON_TYPE = { 'content-type': 'application/json' };

/** The cases, inside the caller's `describe`, on the store `makeStore` opens. */
function hostileTextCases(name: string, makeStore: () => Promise<TaskStore>) {
  {
    let h: ApiHarness;
    let store: TaskStore;
    let taskId: string;
    let stepId: string;
    const seen = new Map<number, number>();
    let sent = 0;

    const call = async (method: string, path: string, o: { body?: unknown; raw?: string } = {}) => {
      sent++;
      const r = await h.call(method, path, o.raw === undefined ? o : { ...o, headers: JSON_TYPE });
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
      return r;
    };
    const expect400 = (r: Called, field: string) => {
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.errors?.map((e: { field: string }) => e.field)).toContain(field);
    };

    beforeAll(async () => {
      store = await makeStore();
      h = await startApiHarness(store);
      const created = await call('POST', '/tasks', { body: VALID_TASK });
      expect(created.status).toBe(201);
      taskId = created.json.task_id;
      stepId = created.json.workflow_steps[0].workflow_step_id;
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await store?.close();
    });

    it('refuses U+0000 and lone surrogates in every text field of a new task, naming it', async () => {
      const fields: [string, (v: string) => Record<string, unknown>][] = [
        ['context.order_id', (v) => ({ context: { order_id: v } })],
        ['annotations.note.deeper', (v) => ({ annotations: { note: { deeper: v } } })],
        ['initiator', (v) => ({ initiator: v })],
        ['source_system', (v) => ({ source_system: v })],
        ['reason', (v) => ({ reason: v })],
        ['tags[0]', (v) => ({ tags: [v] })],
        ['annotations.note', (v) => ({ annotations: { note: v } })],
        ['identity_key', (v) => ({ identity_key: v })],
      ];
      for (const [field, replace] of fields) {
        for (const value of [NUL, SURROGATE]) {
          const body = { ...VALID_TASK, ...replace(value) };
          expect400(await call('POST', '/tasks', { body }), field);
        }
      }
      // Keys and nested values of a context stored as sent (no context schema).
      expect400(
        await call('POST', '/tasks', { body: { ...VALID_AUDIT, context: { 'k\u0000': 1 } } }),
        'context["k\ufffd"]',
      );
      expect400(
        await call('POST', '/tasks', { body: { ...VALID_AUDIT, context: { a: [{ b: SURROGATE }] } } }),
        'context.a[0].b',
      );
    });

    it('refuses them in any task of a batch, naming tasks[i] and the field, and writes none of it', async () => {
      const fields: [string, (v: string) => Record<string, unknown>][] = [
        ['context.order_id', (v) => ({ context: { order_id: v } })],
        ['namespace', (v) => ({ namespace: v })],
        ['tags[0]', (v) => ({ tags: [v] })],
        ['identity_key', (v) => ({ identity_key: v })],
      ];
      const before = await store.listTasks({ namespace: 'shop', limit: 1 });
      for (const [field, replace] of fields) {
        for (const value of [NUL, SURROGATE]) {
          const tasks = [VALID_TASK, { ...VALID_TASK, ...replace(value) }];
          expect400(await call('POST', '/tasks/batch', { body: { tasks } }), `tasks[1].${field}`);
        }
      }
      expect400(
        await call('POST', '/tasks/batch', {
          body: { tasks: [{ ...VALID_AUDIT, context: { 'k\u0000': 1 } }] },
        }),
        'tasks[0].context["k\ufffd"]',
      );
      expect((await store.listTasks({ namespace: 'shop', limit: 1 })).total).toBe(before.total);
    });

    it('refuses a body nested 400,000 levels deep in one pass, whatever field holds it', async () => {
      for (const field of ['context', 'annotations']) {
        const raw = JSON.stringify({ ...VALID_TASK, [field]: { x: 0 } }).replace(
          '{"x":0}',
          `{"x":${deepJson(400_000)}}`,
        );
        expect400(await call('POST', '/tasks', { raw }), 'body');
      }
      const resolve = `{"reason":"r","result":${deepJson(400_000)}}`;
      expect400(
        await call('POST', `/tasks/${taskId}/workflow_steps/${stepId}/resolve`, { raw: resolve }),
        'body',
      );
      // 64 levels is the default limit: 60 go through to the engine.
      const ok = JSON.stringify({ ...VALID_TASK, annotations: { x: 0 } }).replace(
        '{"x":0}',
        `{"x":${deepJson(60)}}`,
      );
      expect((await call('POST', '/tasks', { raw: ok })).status).toBe(201);
    });

    it('refuses them in the changes of a task or a step and in a resolve', async () => {
      expect400(await call('PATCH', `/tasks/${taskId}`, { body: { reason: NUL } }), 'reason');
      expect400(await call('PATCH', `/tasks/${taskId}`, { body: { tags: ['ok', SURROGATE] } }), 'tags[1]');
      expect400(
        await call('PATCH', `/tasks/${taskId}/workflow_steps/${stepId}`, { body: { inputs: { a: NUL } } }),
        'inputs.a',
      );
      expect400(
        await call('POST', `/tasks/${taskId}/workflow_steps/${stepId}/resolve`, {
          body: { reason: 'r', result: { r: SURROGATE } },
        }),
        'result.r',
      );
      expect400(
        await call('POST', `/tasks/${taskId}/workflow_steps/${stepId}/resolve`, { body: { reason: NUL } }),
        'reason',
      );
    });

    it('refuses them in query filters', async () => {
      for (const param of ['namespace', 'name', 'version']) {
        const q = `${param}=a%00b`;
        expect400(await call('GET', `/tasks?${q}`), param);
        expect400(await call('GET', `/analytics/bottlenecks?${q}`), param);
        // The UTF-8 bytes of a lone surrogate (U+D800) cannot be decoded: the value stays the
        // literal text it was sent as, which matches nothing.
        const raw = await call('GET', `/tasks?${param}=a%ED%A0%80b`);
        expect(raw.status).toBe(200);
        expect(raw.json.tasks).toEqual([]);
      }
    });

    it('answered every request: no 5xx, and /health/live still answers', async () => {
      const live = await h.call('GET', '/health/live');
      expect(live.status).toBe(200);
      const counts = [...seen].sort(([a], [b]) => a - b);
      console.log(
        `hostile text (${name}): ${sent} requests, statuses ${counts.map(([s, n]) => `${s}×${n}`).join(' ')}`,
      );
      expect(counts.reduce((n, [, c]) => n + c, 0)).toBe(sent);
      expect(counts.filter(([s]) => s >= 500)).toEqual([]);
      expect(sent).toBeGreaterThan(35);
    });
  }
}

describe('hostile text (PGlite)', () => hostileTextCases('PGlite', () => createPgliteStore()));
describeWithPostgres('hostile text (PostgreSQL)', (database) =>
  hostileTextCases('PostgreSQL', () =>
    createPostgresStore({ connectionString: database().url, poolSize: 4 }),
  ),
);
