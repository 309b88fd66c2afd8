/**
 * Every route of the REST API over a real HTTP server on 127.0.0.1, run once per store (PGlite
 * and PostgreSQL). Each response is checked against the OpenAPI document's schema for its
 * route and status (see `api-harness.ts`); the last test proves every route was exercised.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskerApi } from '../../src/api/index';
import { createTasker, type TaskStore } from '../../src/index';
import { type ApiHarness, type Called, responseChecker, routeOf, startApiHarness } from './api-harness';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const DAY = 86_400_000;

export function apiRoutesSuite(name: string, createStore: () => Promise<TaskStore>): void {
  describe(`REST API on ${name}`, () => {
    let store: TaskStore;
    let h: ApiHarness;
    const exercised = new Set<string>();
    const call: ApiHarness['call'] = async (method, path, options) => {
      const result = await h.call(method, path, options);
      const route = routeOf(h.api.routes, method, new URL(`${h.base}${path}`).pathname);
      if (route !== undefined) exercised.add(`${route.method} ${route.path}`);
      return result;
    };
    const submit = (body: Record<string, unknown>) => call('POST', '/tasks', { body });

    beforeAll(async () => {
      store = await createStore();
      h = await startApiHarness(store);
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await store?.close();
    });

    it('answers liveness and readiness (store and migrations checked)', async () => {
      const live = await call('GET', '/health/live');
      expect(live.status).toBe(200);
      expect(live.json.status).toBe('alive');
      const ready = await call('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({
        status: 'ready',
        checks: { database: { status: 'pass' }, migrations: { status: 'pass' } },
      });
    });

    it('lists namespaces, the handlers of one, and 404 for an unknown namespace', async () => {
      const all = await call('GET', '/handlers');
      expect(all.status).toBe(200);
      expect(all.json.namespaces).toEqual([
        { name: 'ops', handler_count: 1, version_count: 1 },
        { name: 'shop', handler_count: 1, version_count: 2 },
      ]);
      const shop = await call('GET', '/handlers/shop');
      expect(shop.json.handlers).toEqual([
        {
          namespace: 'shop',
          name: 'checkout',
          versions: ['1.0.0', '1.1.0'],
          latest_version: '1.1.0',
          description: 'checkout 1.1.0',
          step_count: 4,
        },
      ]);
      const missing = await call('GET', '/handlers/nowhere');
      expect(missing.status).toBe(404);
      expect(missing.json.code).toBe('NOT_FOUND');
    });

    it('shows a handler with a dependency graph built from every dependency', async () => {
      const latest = await call('GET', '/handlers/shop/checkout');
      expect(latest.status).toBe(200);
      expect(latest.json.version).toBe('1.1.0');
      const pinned = await call('GET', '/handlers/shop/checkout?version=1.0.0');
      expect(pinned.json.version).toBe('1.0.0');
      expect(pinned.json.step_templates.map((s: { name: string }) => s.name)).toEqual([
        'reserve',
        'charge',
        'notify',
        'ship',
      ]);
      expect(pinned.json.step_templates[1]).toMatchObject({ depends_on: ['reserve'], retry_limit: 2 });
      const graph = pinned.json.dependency_graph;
      expect(graph.edges).toEqual([
        { from: 'reserve', to: 'charge' },
        { from: 'reserve', to: 'notify' },
        { from: 'charge', to: 'ship' },
        { from: 'notify', to: 'ship' },
      ]);
      expect(graph.execution_order).toEqual(['reserve', 'charge', 'notify', 'ship']);
      expect(graph.nodes.find((n: { name: string }) => n.name === 'ship').level).toBe(2);
      expect((await call('GET', '/handlers/shop/refund')).status).toBe(404);
      expect((await call('GET', '/handlers/shop/checkout?version=^3.0.0')).status).toBe(404);
    });

    let taskId = '';

    it('creates a task (201), returns it again for a repeated identity_key (200)', async () => {
      const created = await submit({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { order_id: 'o-1', amount: 12 },
        initiator: 'api-test',
        source_system: 'suite',
        reason: 'first order',
        tags: ['vip', 'web'],
        identity_key: 'order-o-1',
      });
      expect(created.status).toBe(201);
      taskId = created.json.task_id;
      expect(created.headers.get('location')).toBe(`/tasker/tasks/${taskId}`);
      expect(created.json).toMatchObject({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        status: 'in_progress',
        source_system: 'suite',
        identity_key: 'order-o-1',
        tags: ['vip', 'web'],
        context: { order_id: 'o-1', amount: 12 },
        // Without authentication the client's initiator is the task's, and there is no owner.
        initiator: 'api-test',
        requested_initiator: null,
        owner: null,
      });
      expect(created.json.workflow_steps).toHaveLength(4);
      const again = await submit({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { order_id: 'o-1', amount: 12 },
        identity_key: 'order-o-1',
      });
      expect(again.status).toBe(200);
      expect(again.json.task_id).toBe(taskId);
    });

    it('refuses bad submissions naming every field: 400 shape, 422 context, 422 unknown task', async () => {
      const shape = await submit({ name: 7, tags: 'vip', context: {}, priority: 'high' });
      expect(shape.status).toBe(400);
      expect(shape.json.code).toBe('VALIDATION_FAILED');
      expect(shape.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'name',
        'priority',
        'tags',
      ]);
      const context = await submit({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { amount: -1 },
      });
      expect(context.status).toBe(422);
      expect(context.json.code).toBe('CONTEXT_INVALID');
      expect(context.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'context.amount',
        'context.order_id',
      ]);
      const unknown = await submit({ namespace: 'shop', name: 'returns', context: {} });
      expect(unknown.status).toBe(422);
      expect(unknown.json.code).toBe('UNKNOWN_TASK');
      expect(unknown.json.errors[0].field).toBe('name');
      const json = await call('POST', '/tasks', {
        raw: '{"name": "checkout",',
        headers: { 'content-type': 'application/json' },
      });
      expect(json.status).toBe(400);
      expect(json.json.code).toBe('INVALID_JSON');
      const media = await call('POST', '/tasks', {
        raw: 'name=checkout',
        headers: { 'content-type': 'text/plain' },
      });
      expect(media.status).toBe(415);
      const huge = await call('POST', '/tasks', {
        raw: JSON.stringify({ name: 'checkout', context: { blob: 'x'.repeat(1_100_000) } }),
        headers: { 'content-type': 'application/json' },
      });
      expect(huge.status).toBe(413);
      expect(huge.json.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('analyses a task at runtime: ready and blocked steps, levels, critical path', async () => {
      const shown = await call('GET', `/tasks/${taskId}?include_dependencies=true`);
      expect(shown.status).toBe(200);
      const a = shown.json.dependency_analysis;
      expect(a.ready_steps).toEqual(['reserve']);
      expect(a.levels).toEqual([
        { level: 0, steps: ['reserve'] },
        { level: 1, steps: ['charge', 'notify'] },
        { level: 2, steps: ['ship'] },
      ]);
      expect(a.blocked_steps).toContainEqual({
        name: 'ship',
        status: 'pending',
        blocked_by: [
          { name: 'charge', status: 'pending' },
          { name: 'notify', status: 'pending' },
        ],
      });
      expect(a.critical_path.complete).toBe(false);
      expect(a.error_chains).toEqual([]);
      const plain = await call('GET', `/tasks/${taskId}`);
      expect(plain.json.dependency_analysis).toBeUndefined();
      expect(plain.json.transitions.length).toBeGreaterThan(0);
    });

    it('lists tasks with filters, pagination (a maximum limit) and an allow-listed sort', async () => {
      for (let i = 2; i <= 4; i++)
        await submit({
          namespace: 'shop',
          name: 'checkout',
          version: '1.1.0',
          context: { order_id: `o-${i}` },
        });
      await submit({ namespace: 'ops', name: 'audit', version: '2.0.0', context: {} });
      const shop = await call('GET', '/tasks?namespace=shop&limit=2');
      expect(shop.status).toBe(200);
      expect(shop.json.tasks).toHaveLength(2);
      expect(shop.json.pagination).toEqual({
        total: 4,
        limit: 2,
        offset: 0,
        has_more: true,
        next_cursor: expect.any(String),
      });
      // Summaries: no context or annotations unless asked for.
      expect(shop.json.tasks[0]).not.toHaveProperty('context');
      expect(shop.json.tasks[0]).not.toHaveProperty('annotations');
      const withContext = await call('GET', '/tasks?namespace=shop&limit=2&include=context');
      expect(withContext.json.tasks[0]).toMatchObject({ context: { order_id: 'o-4' }, annotations: {} });
      const page2 = await call('GET', '/tasks?namespace=shop&limit=2&offset=2');
      expect(page2.json.pagination).toEqual({
        total: 4,
        limit: 2,
        offset: 2,
        has_more: false,
        next_cursor: null,
      });
      // The cursor leads to the same page as the offset.
      const next = await call(
        'GET',
        `/tasks?namespace=shop&limit=2&cursor=${shop.json.pagination.next_cursor as string}`,
      );
      const ids = (page: { json: Record<string, unknown> }) =>
        (page.json.tasks as { task_id: string }[]).map((t) => t.task_id);
      expect(ids(next)).toEqual(ids(page2));
      expect(next.json.pagination).toMatchObject({ total: 4, has_more: false, next_cursor: null });
      const mixed = await call(
        'GET',
        `/tasks?namespace=shop&offset=2&cursor=${shop.json.pagination.next_cursor}`,
      );
      expect(mixed.status).toBe(400);
      expect(mixed.json.errors[0].field).toBe('offset');
      const otherOrder = await call(
        'GET',
        `/tasks?namespace=shop&sort_by=name&cursor=${shop.json.pagination.next_cursor}`,
      );
      expect(otherOrder.status).toBe(400);
      expect(otherOrder.json.errors[0].field).toBe('cursor');
      const forged = await call(
        'GET',
        `/tasks?cursor=${Buffer.from('["createdAt","desc",null,1,"x"]').toString('base64url')}`,
      );
      expect(forged.status).toBe(400);
      expect(forged.json.errors[0].field).toBe('cursor');
      const past = await call('GET', '/tasks?namespace=shop&limit=2&offset=10');
      expect(past.json.pagination.total).toBe(4);
      const v = await call('GET', '/tasks?name=checkout&version=1.0.0');
      expect(v.json.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([taskId]);
      const byStatus = await call('GET', '/tasks?status=in_progress,error');
      expect(byStatus.json.pagination.total).toBe(5);
      const sorted = await call('GET', '/tasks?sort_by=namespace&sort_order=asc');
      expect(sorted.json.tasks[0].namespace).toBe('ops');
      // By creation time: from a time (inclusive) and before it split the tasks in two.
      const all = (await call('GET', '/tasks?limit=100&sort_order=asc')).json.tasks as {
        created_at: string;
      }[];
      const middle = (all[Math.floor(all.length / 2)] as { created_at: string }).created_at;
      const from = await call('GET', `/tasks?limit=100&created_from=${encodeURIComponent(middle)}`);
      const before = await call('GET', `/tasks?limit=100&created_before=${encodeURIComponent(middle)}`);
      expect(from.json.pagination.total + before.json.pagination.total).toBe(all.length);
      expect(from.json.pagination.total).toBe(all.filter((t) => t.created_at >= middle).length);
      expect(before.json.pagination.total).toBeGreaterThan(0);
      for (const t of before.json.tasks as { created_at: string }[]) expect(t.created_at < middle).toBe(true);
      const between = await call(
        'GET',
        `/tasks?created_from=${encodeURIComponent(middle)}&created_before=${encodeURIComponent(middle)}`,
      );
      expect(between.json.pagination.total).toBe(0);
      const badTime = await call('GET', '/tasks?created_from=yesterday');
      expect(badTime.status).toBe(400);
      expect(badTime.json.errors[0].field).toBe('created_from');
      const tooMany = await call('GET', '/tasks?limit=101');
      expect(tooMany.status).toBe(400);
      expect(tooMany.json.errors[0].field).toBe('limit');
      const badSort = await call('GET', '/tasks?sort_by=context&status=running');
      expect(badSort.status).toBe(400);
      expect(badSort.json.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'sort_by',
        'status',
      ]);
    });

    it('updates a task (reason, tags), 400 for an empty change, 404 and 400 for bad ids', async () => {
      const updated = await call('PATCH', `/tasks/${taskId}`, {
        body: { reason: 'priority order', tags: ['vip'] },
      });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ reason: 'priority order', tags: ['vip'] });
      expect((await call('PATCH', `/tasks/${taskId}`, { body: {} })).status).toBe(400);
      expect((await call('PATCH', `/tasks/${UNKNOWN}`, { body: { reason: 'x' } })).status).toBe(404);
      const badId = await call('GET', '/tasks/..%2F..%2Fetc%2Fpasswd');
      expect(badId.status).toBe(400);
      expect(badId.json.errors[0].field).toBe('id');
      expect((await call('GET', `/tasks/${UNKNOWN}`)).json.code).toBe('TASK_NOT_FOUND');
    });

    it('lists, shows and updates steps; a step of another task is 404', async () => {
      const list = await call('GET', `/tasks/${taskId}/workflow_steps`);
      expect(list.status).toBe(200);
      const steps = list.json.workflow_steps as { name: string; workflow_step_id: string }[];
      expect(steps.map((s) => s.name)).toEqual(['reserve', 'charge', 'notify', 'ship']);
      const charge = steps[1]!.workflow_step_id;
      const one = await call('GET', `/tasks/${taskId}/workflow_steps/${charge}`);
      expect(one.json).toMatchObject({
        name: 'charge',
        status: 'pending',
        retry_limit: 2,
        depends_on: ['reserve'],
      });
      const patched = await call('PATCH', `/tasks/${taskId}/workflow_steps/${charge}`, {
        body: { retry_limit: 5, inputs: { card: 'tok_1' } },
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ retry_limit: 5, inputs: { card: 'tok_1' } });
      const bad = await call('PATCH', `/tasks/${taskId}/workflow_steps/${charge}`, {
        body: { retry_limit: -1 },
      });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].field).toBe('retry_limit');
      const other = (await call('GET', '/tasks?namespace=ops')).json.tasks[0].task_id;
      expect((await call('GET', `/tasks/${other}/workflow_steps/${charge}`)).json.code).toBe(
        'STEP_NOT_FOUND',
      );
    });

    it('runs the tasks, then retries and resolves a failed step, with the error chain shown', async () => {
      const worker = await h.worker();
      const audit = (await call('GET', '/tasks?namespace=ops')).json.tasks[0].task_id as string;
      let task = await worker.waitFor(audit, { timeoutMs: 30_000 });
      expect(task.state).toBe('error');
      await worker.waitFor(taskId, { timeoutMs: 30_000 });
      const shown = await call('GET', `/tasks/${audit}?include_dependencies=true`);
      const chains = shown.json.dependency_analysis.error_chains;
      expect(chains).toEqual([
        {
          step: 'verify',
          error: { name: 'PermanentError', message: 'ledger mismatch', code: 'mismatch' },
          attempts: 1,
          blocked_descendants: ['report', 'archive'],
        },
      ]);
      const verify = task.steps.find((s) => s.name === 'verify')!.id;
      const retried = await call('POST', `/tasks/${audit}/workflow_steps/${verify}/retry`, {
        body: { reason: 'ledger fixed' },
      });
      expect(retried.status).toBe(200);
      expect(['pending', 'in_progress', 'error']).toContain(retried.json.status);
      task = await worker.waitFor(audit, { timeoutMs: 30_000 });
      expect(task.state).toBe('error'); // the handler still refuses
      const resolved = await call('POST', `/tasks/${audit}/workflow_steps/${verify}/resolve`, {
        body: { result: { verified: 'by hand' } },
      });
      expect(resolved.status).toBe(200);
      expect(resolved.json).toMatchObject({ status: 'resolved_manually', results: { verified: 'by hand' } });
      task = await worker.waitFor(audit, { timeoutMs: 30_000 });
      expect(task.state).toBe('complete');
      const done = await call('GET', `/tasks/${taskId}?include_dependencies=true`);
      expect(done.json.status).toBe('complete');
      expect(done.json.dependency_analysis.critical_path.complete).toBe(true);
      expect(done.json.dependency_analysis.critical_path.steps[0]).toBe('reserve');
      const again = await call('POST', `/tasks/${audit}/workflow_steps/${verify}/retry`);
      expect(again.status).toBe(409);
      expect(again.json.code).toBe('INVALID_TRANSITION');
      await worker.stop(); // later tests need tasks that stay unfinished
    }, 60_000);

    it('cancels a step (and its task), and cancels a task; cancelling twice is 409', async () => {
      const a = (
        await submit({ namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'c-1' } })
      ).json;
      const ship = a.workflow_steps.find((s: { name: string }) => s.name === 'ship').workflow_step_id;
      // Ids are UUIDs in any case.
      const cancelled = await call('DELETE', `/tasks/${a.task_id}/workflow_steps/${ship.toUpperCase()}`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.status).toBe('cancelled');
      expect((await call('GET', `/tasks/${a.task_id}`)).json.status).toBe('cancelled');
      const b = (
        await submit({ namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'c-2' } })
      ).json;
      const gone = await call('DELETE', `/tasks/${b.task_id}`);
      expect(gone.status).toBe(200);
      expect(gone.json.status).toBe('cancelled');
      expect((await call('DELETE', `/tasks/${b.task_id}`)).status).toBe(409);
    });

    it('reports recent counts and its verdict: 503 with the reasons when unhealthy', async () => {
      const s = await call('GET', '/health/status');
      expect(s.status).toBe(s.json.status === 'healthy' ? 200 : 503);
      expect(s.json.reasons.length === 0).toBe(s.json.status === 'healthy');
      const { created, ...byState } = s.json.tasks;
      expect(created).toBe(Object.values(byState as Record<string, number>).reduce((a, b) => a + b, 0));
      expect(s.json.tasks.cancelled).toBeGreaterThanOrEqual(2);
      expect(s.json.retries.steps).toBeGreaterThanOrEqual(1); // verify ran twice
      expect(s.json.attempts.ended).toBeGreaterThanOrEqual(s.json.attempts.failed);
      expect(s.json.error_rate).toBe(
        s.json.attempts.ended === 0 ? 0 : s.json.attempts.failed / s.json.attempts.ended,
      );
      expect(s.json.thresholds.max_error_rate).toBe(0.5);
      expect(s.json.workers.filter((w: { live: boolean }) => w.live).length).toBe(s.json.live_workers);
    });

    it('computes performance and bottlenecks in SQL, with filters', async () => {
      const perf = await call('GET', '/analytics/performance');
      expect(perf.status).toBe(200);
      expect(perf.json.windows.map((w: { window: string }) => w.window)).toEqual(['1h', '4h', '24h']);
      const hour = perf.json.windows[0];
      expect(hour.tasks.completed).toBeGreaterThanOrEqual(5);
      expect(hour.tasks.completion_rate).toBeGreaterThan(0);
      expect(hour.throughput_per_hour).toBe(hour.tasks.completed);
      expect(hour.task_duration_ms.max).toBeGreaterThanOrEqual(hour.task_duration_ms.p50);
      const all = await call('GET', '/analytics/bottlenecks');
      expect(all.status).toBe(200);
      expect(all.json.error_patterns).toContainEqual(
        expect.objectContaining({
          namespace: 'ops',
          step_name: 'verify',
          error_name: 'PermanentError',
          error_code: 'mismatch',
          occurrences: 2,
          affected_tasks: 1,
        }),
      );
      expect(all.json.slowest_steps.length).toBeGreaterThan(0);
      const shop = await call('GET', '/analytics/bottlenecks?namespace=shop&limit=1');
      expect(shop.json.filters.namespace).toBe('shop');
      expect(shop.json.error_patterns).toEqual([]);
      expect(shop.json.slowest_tasks).toHaveLength(1);
      expect(shop.json.slowest_tasks[0].namespace).toBe('shop');
      expect((await call('GET', '/analytics/bottlenecks?period_hours=0')).status).toBe(400);
    });

    it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
      const nowhere = await call('GET', '/nowhere');
      expect(nowhere.status).toBe(404);
      expect(nowhere.json.code).toBe('ROUTE_NOT_FOUND');
      const wrong = await call('PUT', `/tasks/${taskId}`, { body: {} });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
    });

    it('has no /metrics without a handler, and serves the injected one with it', async () => {
      expect((await call('GET', '/metrics')).status).toBe(404);
      expect(h.api.routes.some((r) => r.path.endsWith('/metrics'))).toBe(false);
      const { createTaskerApi } = await import('../../src/api/index');
      const withMetrics = createTaskerApi({
        tasker: h.tasker,
        metricsHandler: async (request) =>
          new Response(`# seen ${new URL(request.url).pathname}\ntasker_up 1\n`, {
            headers: { 'content-type': 'text/plain; version=0.0.4' },
          }),
      });
      const server = await withMetrics.listen();
      try {
        const r = await fetch(`${server.url}/tasker/metrics`);
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4');
        expect(await r.text()).toBe('# seen /tasker/metrics\ntasker_up 1\n');
        expect(Object.keys((withMetrics.openapi() as { paths: object }).paths)).toContain('/tasker/metrics');
      } finally {
        await server.close();
      }
    });

    it('serves an OpenAPI 3.1 document that validates and whose paths equal the route table', async () => {
      const doc = await call('GET', '/openapi.json');
      expect(doc.status).toBe(200);
      const result = await new Validator().validate(doc.json as Parameters<Validator['validate']>[0]);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(doc.json.openapi).toBe('3.1.0');
      const documented = Object.entries(doc.json.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      const table = h.api.routes.map((r) => `${r.method} ${r.path}`);
      expect(documented.sort()).toEqual([...table].sort());
      expect(doc.json.components.schemas.Task.properties).toHaveProperty('source_system');
      expect(doc.json.components.schemas.WorkflowStep.properties).toHaveProperty('next_attempt_at');
    });

    it('serves the documentation page and its assets', async () => {
      const page = await fetch(`${h.base}/docs`);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('/tasker/docs/assets/swagger-ui-bundle.js');
      exercised.add('GET /tasker/docs');
      const init = await fetch(`${h.base}/docs/init.js`);
      expect(await init.text()).toContain('"/tasker/openapi.json"');
      exercised.add('GET /tasker/docs/init.js');
      const css = await fetch(`${h.base}/docs/assets/swagger-ui.css`);
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toContain('text/css');
      exercised.add('GET /tasker/docs/assets/{file}');
      expect((await call('GET', '/docs/assets/..%2Fpackage.json')).status).toBe(400);
    });

    it('shows the retention policy, its rules and the newest runs; 400 for a bad limit', async () => {
      // The harness's engine has no policy: nothing is swept.
      const none = await call('GET', '/retention');
      expect(none.status).toBe(200);
      expect(none.json.policy).toMatchObject({
        enabled: false,
        keep_ms: { complete: null, error: null, cancelled: null, resolved_manually: null },
        namespaces: {},
        rules: [],
      });
      // An engine on the same store with a policy: cancelled tasks go at once, but in ops.
      const keeper = createTasker({
        store,
        tasks: [],
        config: {
          retention: {
            keepMs: { cancelled: 0, error: 30 * DAY },
            namespaces: { ops: { cancelled: 7 * DAY } },
            archive: true,
            pauseMs: 0,
            dutyCycle: 1,
          },
        },
        onError: () => {},
      });
      const api = createTaskerApi({ tasker: keeper });
      const server = await api.listen();
      try {
        const cancelled = (await call('GET', '/tasks?status=cancelled&limit=100')).json.tasks as {
          namespace: string;
        }[];
        const due = cancelled.filter((t) => t.namespace !== 'ops').length;
        expect(due).toBeGreaterThanOrEqual(2); // the previous test cancelled two shop tasks
        const dry = await keeper.runRetention({ dryRun: true });
        const run = await keeper.runRetention();
        expect(run).toMatchObject({ tasks: due, transitions: dry.transitions, complete: true });
        expect(run.archived).toBe(dry.transitions);
        expect((await call('GET', '/tasks?status=cancelled')).json.pagination.total).toBe(
          cancelled.length - due,
        );

        const response = await fetch(`${server.url}/tasker/retention?limit=2`);
        const body = (await response.json()) as Called['json'];
        expect(response.status).toBe(200);
        responseChecker(api.openapi())(
          routeOf(api.routes, 'GET', '/tasker/retention')!,
          200,
          response.headers.get('content-type') ?? '',
          body,
        );
        expect(body.policy).toEqual({
          enabled: true,
          keep_ms: { complete: null, error: 30 * DAY, cancelled: 0, resolved_manually: null },
          namespaces: { ops: { complete: null, error: null, cancelled: 7 * DAY, resolved_manually: null } },
          archive: true,
          interval_ms: 600_000,
          batch_size: 500,
          batch_time_ms: 250,
          pause_ms: 0,
          duty_cycle: 1,
          max_run_ms: 60_000,
          rules: [
            { state: 'error', namespace: null, excluded_namespaces: [], keep_ms: 30 * DAY },
            { state: 'cancelled', namespace: 'ops', excluded_namespaces: [], keep_ms: 7 * DAY },
            { state: 'cancelled', namespace: null, excluded_namespaces: ['ops'], keep_ms: 0 },
          ],
        });
        // Newest first: the run, then the dry run.
        expect(body.runs).toHaveLength(2);
        const [latest, dryRun] = body.runs;
        expect(latest).toMatchObject({
          dry_run: false,
          worker_id: keeper.workerId,
          tasks: due,
          transitions: run.transitions,
          archived: run.transitions,
          identity_keys: run.identityKeys,
          batches: run.batches,
          complete: true,
          error: null,
          started_at: new Date(run.startedAt).toISOString(),
          duration_ms: run.finishedAt - run.startedAt,
        });
        expect(latest.by_rule).toEqual(
          run.byRule.map((r) => ({
            state: r.state,
            namespace: r.namespace,
            keep_ms: r.keepMs,
            cutoff: new Date(r.cutoff).toISOString(),
            tasks: r.tasks,
            transitions: r.transitions,
            archived: r.archived,
          })),
        );
        expect(latest.by_rule.map((r: { tasks: number }) => r.tasks)).toEqual([0, 0, due]);
        expect(dryRun).toMatchObject({ dry_run: true, tasks: due, archived: 0, batches: 0 });
        expect(latest.id).toBeGreaterThan(dryRun.id);

        // Any process's API lists the runs recorded in the store.
        const one = await call('GET', '/retention?limit=1');
        expect(one.json.runs.map((r: { id: number }) => r.id)).toEqual([latest.id]);
      } finally {
        await server.close();
        await keeper.stop();
      }
      for (const limit of ['0', '101', 'x', '1.5', '', '-1']) {
        const bad = await call('GET', `/retention?limit=${limit}`);
        expect(bad.status, `limit=${limit}`).toBe(400);
        expect(bad.json.code).toBe('VALIDATION_FAILED');
        expect(bad.json.errors.map((e: { field: string }) => e.field)).toEqual(['limit']);
      }
    });

    it('adds, lists, shows, pauses, resumes and removes a schedule (the details: api-schedules.test.ts)', async () => {
      const body = {
        name: 'suite-hourly',
        cron: '@hourly',
        namespace: 'shop',
        task_name: 'checkout',
        context: { order_id: 's' },
      };
      expect((await call('POST', '/schedules', { body })).status).toBe(201);
      expect((await call('GET', '/schedules')).json.schedules.map((x: { name: string }) => x.name)).toContain(
        'suite-hourly',
      );
      expect((await call('GET', '/schedules/suite-hourly')).json).toMatchObject({
        cron: '@hourly',
        source: 'api',
      });
      expect((await call('POST', '/schedules/suite-hourly/pause')).json.paused).toBe(true);
      expect((await call('POST', '/schedules/suite-hourly/resume')).json.paused).toBe(false);
      expect((await call('DELETE', '/schedules/suite-hourly')).status).toBe(200);
      expect((await call('GET', '/schedules/suite-hourly')).status).toBe(404);
    });

    // Last but one: the tasks they create would change the counts of the cases above.
    const order = (order_id: string, extra: Record<string, unknown> = {}) => ({
      namespace: 'shop',
      name: 'checkout',
      version: '1.0.0',
      context: { order_id, amount: 3 },
      ...extra,
    });

    it('submits a batch (201): each task in request order, an identity_key seen before answers it', async () => {
      const tasks = [
        order('b-1', { identity_key: 'batch-b-1', tags: ['batch'] }),
        order('b-2', { bypass_steps: ['notify'], reason: 'bulk import' }),
        order('b-3', { identity_key: 'batch-b-1' }),
        { namespace: 'ops', name: 'audit', version: '2.0.0' },
      ];
      const created = await call('POST', '/tasks/batch', { body: { tasks } });
      expect(created.status).toBe(201);
      const results = created.json.tasks as { task_id: string; created: boolean }[];
      expect(results.map((r) => r.created)).toEqual([true, true, false, true]);
      // The same identity_key twice in one batch is one task.
      expect(results[2]?.task_id).toBe(results[0]?.task_id);
      const first = await call('GET', `/tasks/${results[0]?.task_id}`);
      expect(first.json).toMatchObject({
        context: { order_id: 'b-1', amount: 3 },
        tags: ['batch'],
        owner: null,
      });
      const second = await call('GET', `/tasks/${results[1]?.task_id}`);
      expect(second.json).toMatchObject({ reason: 'bulk import', bypass_steps: ['notify'] });
      expect(second.json.workflow_steps.find((s: { name: string }) => s.name === 'notify').status).toBe(
        'skipped',
      );
      expect((await call('GET', `/tasks/${results[3]?.task_id}`)).json.context).toEqual({});
      // Nothing new: 200, the same tasks.
      const again = await call('POST', '/tasks/batch', { body: { tasks: [tasks[0], tasks[2]] } });
      expect(again.status).toBe(200);
      expect(again.json.tasks).toEqual([
        { task_id: results[0]?.task_id, created: false },
        { task_id: results[0]?.task_id, created: false },
      ]);
    });

    it('refuses a batch with one bad field, naming it as tasks[i].field, and creates none of it', async () => {
      const valid = () => [order('v-0', { identity_key: 'batch-refused-0' }), order('v-1'), order('v-2')];
      const refused: [number, Record<string, unknown>, number, string, string][] = [
        [1, { context: { order_id: 'v-1', amount: -1 } }, 422, 'CONTEXT_INVALID', 'tasks[1].context.amount'],
        [2, { tags: 'vip' }, 400, 'VALIDATION_FAILED', 'tasks[2].tags'],
        [2, { tags: ['ok', 7] }, 400, 'VALIDATION_FAILED', 'tasks[2].tags[1]'],
        [1, { version: '9.0.0' }, 422, 'UNKNOWN_TASK', 'tasks[1].version'],
        [1, { bypass_steps: ['charge'] }, 422, 'SUBMIT_INVALID', 'tasks[1].bypass_steps'],
        [1, { reason: 'a\u0000b' }, 400, 'INPUT_INVALID', 'tasks[1].reason'],
        [
          2,
          { annotations: { note: { deep: '\ud800' } } },
          400,
          'INPUT_INVALID',
          'tasks[2].annotations.note.deep',
        ],
        [0, { colour: 'red' }, 400, 'VALIDATION_FAILED', 'tasks[0].colour'],
      ];
      for (const [at, change, status, code, field] of refused) {
        const tasks = valid();
        tasks[at] = { ...tasks[at], ...change } as (typeof tasks)[number];
        const r = await call('POST', '/tasks/batch', { body: { tasks } });
        expect(r.status, `${field}: ${JSON.stringify(r.json)}`).toBe(status);
        expect(r.json.code).toBe(code);
        expect(r.json.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      }
      const count = async (n: number) =>
        call('POST', '/tasks/batch', {
          body: { tasks: Array.from({ length: n }, (_, i) => order(`n-${i}`)) },
        });
      for (const n of [0, 1_001]) {
        const r = await count(n);
        expect(r.status).toBe(400);
        expect(r.json.errors).toEqual([{ field: 'tasks', message: 'expected 1 to 1000 tasks' }]);
      }
      const extra = await call('POST', '/tasks/batch', { body: { tasks: valid(), more: true } });
      expect(extra.json.errors).toEqual([{ field: 'more', message: 'unknown field' }]);
      const media = await call('POST', '/tasks/batch', {
        raw: '{}',
        headers: { 'content-type': 'text/plain' },
      });
      expect(media.status).toBe(415);
      const huge = await call('POST', '/tasks/batch', {
        body: { tasks: [order('big', { reason: 'x'.repeat(1_100_000) })] },
      });
      expect(huge.status).toBe(413);
      // None of the refused batches wrote anything: its first identity_key is still free.
      const ok = await call('POST', '/tasks/batch', { body: { tasks: valid() } });
      expect(ok.status).toBe(201);
      expect(ok.json.tasks.map((t: { created: boolean }) => t.created)).toEqual([true, true, true]);
      // A thousand tasks are one request.
      const most = await count(1_000);
      expect(most.status).toBe(201);
      expect(new Set(most.json.tasks.map((t: { task_id: string }) => t.task_id)).size).toBe(1_000);
    });

    it('opens the live event feed as text/event-stream', async () => {
      const r = await call('GET', '/events/stream?events=task.');
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-store');
    });

    it('exercised every route of the table', () => {
      const missing = h.api.routes.map((r) => `${r.method} ${r.path}`).filter((r) => !exercised.has(r));
      expect(missing).toEqual([]);
    });
  });
}
