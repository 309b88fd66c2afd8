/**
 * The schedule routes (issue #14) over a real HTTP server, on PGlite and PostgreSQL: add, list,
 * show, pause, resume, remove, and the problems of #10's input rules (400 naming the field,
 * 404, 409, 415, 422). Every answer is checked against the OpenAPI document by the harness.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, createPostgresStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './support/postgres';

const nightly = {
  name: 'nightly-checkout',
  cron: '0 30 2 * * *',
  timezone: 'Europe/Berlin',
  namespace: 'shop',
  task_name: 'checkout',
  context: { order_id: 'nightly' },
  catch_up: 'all',
  catch_up_limit: 5,
};

function scheduleRoutes(label: string, makeStore: () => Promise<TaskStore>, cleanUp = async () => {}) {
  describe(`schedule routes on ${label}`, () => {
    let store: TaskStore;
    let h: ApiHarness;
    beforeAll(async () => {
      store = await makeStore();
      h = await startApiHarness(store);
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await store?.close();
      await cleanUp();
    });

    it('adds, lists, shows, pauses, resumes and removes a schedule', async () => {
      const added = await h.call('POST', '/schedules', { body: nightly });
      expect(added.status).toBe(201);
      expect(added.headers.get('location')).toBe('/tasker/schedules/nightly-checkout');
      expect(added.json).toMatchObject({
        name: 'nightly-checkout',
        source: 'api',
        definition_version: null,
        namespace: 'shop',
        task_name: 'checkout',
        task_version: 'latest',
        cron: '0 30 2 * * *',
        timezone: 'Europe/Berlin',
        context: { order_id: 'nightly' },
        catch_up: 'all',
        catch_up_limit: 5,
        paused: false,
        fired: 0,
        skipped: 0,
        last_slot: null,
        last_error: null,
      });
      // The next 02:30 in Berlin: 00:30 or 01:30 UTC, after now.
      expect(added.json.next_at).toMatch(/T0[01]:30:00\.000Z$/);
      expect(Date.parse(added.json.next_at)).toBeGreaterThan(Date.now());
      const list = await h.call('GET', '/schedules');
      expect(list.status).toBe(200);
      expect(list.json.schedules.map((s: { name: string }) => s.name)).toEqual(['nightly-checkout']);
      expect((await h.call('GET', '/schedules/nightly-checkout')).json).toEqual(added.json);
      const paused = await h.call('POST', '/schedules/nightly-checkout/pause');
      expect([paused.status, paused.json.paused]).toEqual([200, true]);
      const resumed = await h.call('POST', '/schedules/nightly-checkout/resume');
      expect([resumed.status, resumed.json.paused]).toEqual([200, false]);
      const removed = await h.call('DELETE', '/schedules/nightly-checkout');
      expect([removed.status, removed.json.name]).toEqual([200, 'nightly-checkout']);
      for (const [method, path] of [
        ['GET', '/schedules/nightly-checkout'],
        ['DELETE', '/schedules/nightly-checkout'],
        ['POST', '/schedules/nightly-checkout/pause'],
        ['POST', '/schedules/nightly-checkout/resume'],
      ] as const) {
        const gone = await h.call(method, path);
        expect([gone.status, gone.json.code]).toEqual([404, 'SCHEDULE_NOT_FOUND']);
      }
      expect((await h.call('GET', '/schedules')).json.schedules).toEqual([]);
    });

    it('refuses bad input by field: 400, 409, 415, 422', async () => {
      expect((await h.call('POST', '/schedules', { body: { ...nightly, name: 'taken' } })).status).toBe(201);
      const taken = await h.call('POST', '/schedules', { body: { ...nightly, name: 'taken' } });
      expect([taken.status, taken.json.code]).toEqual([409, 'SCHEDULE_EXISTS']);
      const field = async (body: Record<string, unknown>) => {
        const r = await h.call('POST', '/schedules', { body: { ...nightly, name: 'bad', ...body } });
        return [r.status, r.json.code, r.json.errors?.map((e: { field: string }) => e.field).join(',')];
      };
      expect(await field({ cron: '0 61 * * *' })).toEqual([400, 'VALIDATION_FAILED', 'cron']);
      expect(await field({ cron: '0 0 31 2 *' })).toEqual([400, 'VALIDATION_FAILED', 'cron']);
      expect(await field({ timezone: 'Europe/Atlantis' })).toEqual([400, 'VALIDATION_FAILED', 'timezone']);
      expect(await field({ catch_up: 'sometimes' })).toEqual([400, 'VALIDATION_FAILED', 'catch_up']);
      expect(await field({ catch_up_limit: 0 })).toEqual([400, 'VALIDATION_FAILED', 'catch_up_limit']);
      expect(await field({ name: 'no spaces' })).toEqual([400, 'VALIDATION_FAILED', 'name']);
      expect(await field({ every: '5m' })).toEqual([400, 'VALIDATION_FAILED', 'every']);
      expect(await field({ task_name: 'missing' })).toEqual([422, 'UNKNOWN_TASK', 'task_name']);
      expect(await field({ version: '9.9.9' })).toEqual([422, 'UNKNOWN_TASK', 'version']);
      expect(await field({ context: { order_id: 7 } })).toEqual([422, 'CONTEXT_INVALID', 'context.order_id']);
      const badName = await h.call('GET', '/schedules/bad%20name');
      expect([badName.status, badName.json.errors?.[0]?.field]).toEqual([400, 'name']);
      const text = await h.call('POST', '/schedules', {
        raw: JSON.stringify(nightly),
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
    });
  });
}

scheduleRoutes('PGlite', () => createPgliteStore());

describeWithPostgres('PostgreSQL', (database) => {
  let db: TestDatabase & { drop(): Promise<void> };
  scheduleRoutes(
    'PostgreSQL',
    async () => {
      db = await createTestDatabase(database().url);
      return createPostgresStore({ connectionString: db.url, poolSize: 4 });
    },
    async () => db?.drop(),
  );
});
