/**
 * The engine suite, run once per store (PGlite and PostgreSQL), on an injected manual clock:
 * time only moves when a test says so, so backoff, Retry-After and timeouts are asserted
 * without sleeps.
 */
import { createEventRouter, type RoutedEvent } from '@tasker/router';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createManualClock,
  createTasker,
  defineTask,
  PermanentError,
  RetryableError,
  type StepHandler,
  type TaskDefinitionInput,
  type Tasker,
  type TaskStore,
} from '../../src/index';
import { type AuditQuery, expectedEvents, publishedEvents, readAudit } from './expected-events';

/** What the suite runs on: a migrated store, and SQL on its database to read the audit. */
export interface EngineSubject {
  readonly store: TaskStore;
  readonly query: AuditQuery;
  /** Closes the store and the connection behind `query`. */
  close(): Promise<void>;
}

export function engineSuite(name: string, createSubject: () => Promise<EngineSubject>): void {
  describe(`engine on ${name}`, () => {
    let subject: EngineSubject;
    let store: TaskStore;
    const clock = createManualClock(1_800_000_000_000);
    let running: Tasker[] = [];
    let seq = 0;

    beforeAll(async () => {
      subject = await createSubject();
      store = subject.store;
    }, 60_000);
    afterEach(async () => {
      for (const t of running) await t.stop();
      running = [];
      const open = await store.listTasks({ state: ['pending', 'in_progress', 'error'], limit: 500 });
      for (const x of open.tasks) await store.cancelTask(x.id, clock.now());
    });
    afterAll(async () => {
      await subject?.close();
    });

    function recorder() {
      const events: RoutedEvent[] = [];
      const router = createEventRouter({
        mappings: [{ eventName: '**', backends: ['rec'] }],
        backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
      });
      return { router, events };
    }

    async function boot(
      def: Omit<TaskDefinitionInput, 'namespace'>,
      extra: {
        router?: ReturnType<typeof recorder>['router'];
        concurrency?: number;
        pollIntervalMs?: number;
        identity?: { identityStrategy: 'hash'; identityWindowMs?: number; identityFields?: string[] };
      } = {},
    ) {
      const namespace = `ns${++seq}`;
      const definition = defineTask({ ...def, namespace });
      const tasker = createTasker({
        store,
        tasks: [definition],
        clock,
        random: () => 0.5,
        ...(extra.router === undefined ? {} : { router: extra.router }),
        config: {
          engine: {
            pollIntervalMs: extra.pollIntervalMs ?? 20,
            tickIntervalMs: 5,
            leaseMs: 30_000,
            ...extra.identity,
          },
          backoff: { jitter: 0 },
          execution: { concurrency: extra.concurrency ?? 8 },
        },
        onError: (error, during) => console.warn(`[test tasker] ${during}:`, error),
      });
      running.push(tasker);
      await tasker.start();
      return { tasker, namespace, definition };
    }

    async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
      for (let i = 0; i < 2_000; i++) {
        const v = await read();
        if (done(v)) return v;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('condition not reached');
    }

    const stepOf = (
      task: {
        steps: readonly {
          name: string;
          state: string;
          attempts: number;
          nextAttemptAt?: number;
          results: unknown;
          id: string;
        }[];
      },
      n: string,
    ) => task.steps.find((s) => s.name === n)!;

    it('runs a diamond, hands parents results to children, and publishes every lifecycle event exactly once (with a retry)', async () => {
      const rec = recorder();
      let flaky = 0;
      const { tasker, namespace } = await boot(
        {
          name: 'diamond',
          version: '1.0.0',
          contextSchema: z.object({ n: z.number() }),
          steps: [
            { name: 'root', handler: async ({ context }) => (context as { n: number }).n },
            {
              name: 'left',
              dependsOn: ['root'],
              handler: async ({ results }) => (results.root as number) + 1,
            },
            {
              name: 'right',
              dependsOn: ['root'],
              handler: async ({ results }) => {
                if (++flaky === 1) throw new Error('transient');
                return (results.root as number) * 10;
              },
            },
            { name: 'join', dependsOn: ['left', 'right'], handler: async ({ results }) => ({ ...results }) },
          ],
        },
        { router: rec.router },
      );
      const { taskId } = await tasker.submit({
        namespace,
        name: 'diamond',
        version: '1.0.0',
        context: { n: 4 },
      });
      const waiting = await until(
        () => tasker.getTask(taskId),
        (t) => stepOf(t!, 'right').state === 'waiting_for_retry',
      );
      expect(stepOf(waiting!, 'right').nextAttemptAt).toBe(clock.now() + 1_000);
      clock.advance(1_000);
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(stepOf(done, 'join').results).toEqual({ left: 5, right: 40 });
      expect(stepOf(done, 'right').attempts).toBe(2);

      // Every lifecycle event, against the full set the audit implies (a missing or an extra
      // event fails). The audit itself is checked first, so the expected set is not vacuous:
      // one completion per step, five claims (the retry included).
      await tasker.stop();
      const audit = await readAudit(subject.query, [taskId]);
      const completions = audit.rows.filter((r) => r.stepId !== undefined && r.to === 'complete');
      expect(completions.map((r) => r.stepName).sort()).toEqual(['join', 'left', 'right', 'root']);
      expect(audit.rows.filter((r) => r.to === 'in_progress' && r.stepId !== undefined).length).toBe(5);
      expect(publishedEvents(rec.events)).toEqual(expectedEvents(audit));
      // The task's events time it from its creation.
      const completed = rec.events.find((e) => e.name === 'task.completed')!.payload;
      expect(completed).toMatchObject({
        startedAt: done.createdAt,
        endedAt: done.completedAt,
        durationMs: done.completedAt! - done.createdAt,
      });
      expect(rec.events.some((e) => e.name === 'database.query_executed')).toBe(true);
    }, 60_000);

    it('wakes on its own commits without polling: one claim per step of a chain', async () => {
      const rec = recorder();
      const { tasker, namespace } = await boot(
        {
          name: 'chain',
          steps: [
            { name: 's1', handler: async () => 1 },
            { name: 's2', dependsOn: ['s1'], handler: async ({ results }) => (results.s1 as number) + 1 },
            { name: 's3', dependsOn: ['s2'], handler: async ({ results }) => (results.s2 as number) + 1 },
            { name: 's4', dependsOn: ['s3'], handler: async ({ results }) => (results.s3 as number) + 1 },
          ],
        },
        { router: rec.router, pollIntervalMs: 3_600_000 },
      );
      const claims = () =>
        rec.events.filter(
          (e) =>
            e.name === 'database.query_executed' &&
            (e.payload as { operation: string }).operation === 'claim_steps',
        ).length;
      // The loop's first claim (at start) found nothing and it sleeps for an hour. (Other
      // statements, the worker registry's, may come before it.)
      await until(
        async () => claims(),
        (n) => n > 0,
      );
      const before = claims();
      const { taskId } = await tasker.submit({ namespace, name: 'chain', context: {} });
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(stepOf(done, 's4').results).toBe(4);
      expect(claims() - before).toBe(4);
    }, 60_000);

    it('wakes when a retry falls due, without polling (database clock, poll and lease of an hour)', async () => {
      let calls = 0;
      const namespace = `ns${++seq}`;
      const definition = defineTask({
        namespace,
        name: 'due',
        steps: [
          {
            name: 'a',
            handler: async () => {
              if (++calls === 1) throw new RetryableError('later', { retryAfter: 300 });
              return 'done';
            },
          },
        ],
      });
      const tasker = createTasker({
        store,
        tasks: [definition],
        config: { engine: { pollIntervalMs: 3_600_000, leaseMs: 3_600_000 } },
        onError: (error, during) => console.warn(`[test tasker] ${during}:`, error),
      });
      running.push(tasker);
      await tasker.start();
      const { taskId } = await tasker.submit({ namespace, name: 'due', context: {} });
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(stepOf(done, 'a').attempts).toBe(2);
      const retry = done.transitions.find((t) => t.to === 'waiting_for_retry')!;
      const second = done.transitions.filter((t) => t.stepName === 'a' && t.to === 'in_progress')[1]!;
      expect(second.from).toBe('waiting_for_retry');
      expect(second.at).toBeGreaterThanOrEqual(retry.metadata.nextAttemptAt as number);
    }, 60_000);

    it('runs a wide DAG (1 → 40 → 1)', async () => {
      const fan = Array.from({ length: 40 }, (_, i) => ({
        name: `w${i}`,
        dependsOn: ['start'],
        handler: (async () => i) as StepHandler,
      }));
      const { tasker, namespace } = await boot({
        name: 'wide',
        steps: [
          { name: 'start', handler: async () => 0 },
          ...fan,
          {
            name: 'sum',
            dependsOn: fan.map((f) => f.name),
            handler: async ({ results }) =>
              Object.values(results).reduce((a: number, b) => a + (b as number), 0),
          },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'wide', context: {} });
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(stepOf(done, 'sum').results).toBe((39 * 40) / 2);
    }, 60_000);

    it('honours retryAfter over the backoff schedule', async () => {
      let calls = 0;
      const { tasker, namespace } = await boot({
        name: 'ra',
        steps: [
          {
            name: 'a',
            handler: async () => {
              if (++calls === 1) throw new RetryableError('busy', { retryAfter: 7_000 });
              return 'ok';
            },
          },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'ra', context: {} });
      const t = await until(
        () => tasker.getTask(taskId),
        (x) => stepOf(x!, 'a').state === 'waiting_for_retry',
      );
      expect(stepOf(t!, 'a').nextAttemptAt).toBe(clock.now() + 7_000);
      clock.advance(6_999);
      await new Promise((r) => setTimeout(r, 60));
      expect(stepOf((await tasker.getTask(taskId))!, 'a').state).toBe('waiting_for_retry');
      clock.advance(1);
      expect((await tasker.waitFor(taskId)).state).toBe('complete');
    }, 60_000);

    it('fails the task on a permanent error without retrying; retryStep brings it back', async () => {
      let calls = 0;
      const { tasker, namespace } = await boot({
        name: 'perm',
        steps: [
          {
            name: 'a',
            handler: async () => {
              if (++calls === 1) throw new PermanentError('card declined', { code: 'declined' });
              return 'paid';
            },
          },
          { name: 'b', dependsOn: ['a'], handler: async ({ results }) => results.a },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'perm', context: {} });
      const failed = await tasker.waitFor(taskId);
      expect(failed.state).toBe('error');
      expect(stepOf(failed, 'a')).toMatchObject({ state: 'error', attempts: 1 });
      expect(stepOf(failed, 'b').state).toBe('pending');
      expect(failed.steps[0]?.error).toEqual({
        name: 'PermanentError',
        message: 'card declined',
        code: 'declined',
      });
      await tasker.retryStep(stepOf(failed, 'a').id, { reason: 'card updated' });
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(stepOf(done, 'b').results).toBe('paid');
    }, 60_000);

    it('fails a step for good when its result or its error holds text the store cannot hold, instead of failing the write', async () => {
      const returns = await boot({
        name: 'unstorable-result',
        steps: [{ name: 'returns', handler: async () => ({ ok: ['fine', 'nul \u0000 here'] }) }],
      });
      const a = await returns.tasker.submit({
        namespace: returns.namespace,
        name: 'unstorable-result',
        context: {},
      });
      const failed = await returns.tasker.waitFor(a.taskId);
      expect(failed.state).toBe('error');
      expect(stepOf(failed, 'returns')).toMatchObject({
        state: 'error',
        attempts: 1,
        error: {
          name: 'TaskerError',
          code: 'INPUT_INVALID',
          message: 'result.ok[1]: contains U+0000 (NUL), which PostgreSQL cannot store',
        },
      });
      const throws = await boot({
        name: 'unstorable-error',
        steps: [
          {
            name: 'throws',
            handler: async () => {
              throw new PermanentError('bad \u0000 message \ud800', { code: 'c\u0000' });
            },
          },
        ],
      });
      const b = await throws.tasker.submit({
        namespace: throws.namespace,
        name: 'unstorable-error',
        context: {},
      });
      expect(stepOf(await throws.tasker.waitFor(b.taskId), 'throws')).toMatchObject({
        state: 'error',
        error: { name: 'PermanentError', message: 'bad \ufffd message \ufffd', code: 'c\ufffd' },
      });
    }, 60_000);

    it('reports max retries reached only for a step that used its retries', async () => {
      const rec = recorder();
      const fail = async () => Promise.reject(new Error('down'));
      const once = await boot(
        { name: 'once', steps: [{ name: 'once', retryable: false, handler: fail }] },
        { router: rec.router },
      );
      const twice = await boot(
        { name: 'twice', steps: [{ name: 'twice', retryLimit: 1, handler: fail }] },
        { router: rec.router },
      );
      const a = await once.tasker.submit({ namespace: once.namespace, name: 'once', context: {} });
      const b = await twice.tasker.submit({ namespace: twice.namespace, name: 'twice', context: {} });
      expect(stepOf(await once.tasker.waitFor(a.taskId), 'once')).toMatchObject({
        state: 'error',
        attempts: 1,
      });
      await until(
        () => twice.tasker.getTask(b.taskId),
        (t) => t !== undefined && stepOf(t, 'twice').state === 'waiting_for_retry',
      );
      clock.advance(60_000);
      expect(stepOf(await twice.tasker.waitFor(b.taskId), 'twice')).toMatchObject({
        state: 'error',
        attempts: 2,
      });
      const named = (event: string) =>
        rec.events.filter((e) => e.name === event).map((e) => (e.payload as { stepName: string }).stepName);
      expect(named('observability.step.max_retries_reached')).toEqual(['twice']);
      expect(named('step.failed').sort()).toEqual(['once', 'twice', 'twice']);
    }, 60_000);

    it('refuses to start again after stop, and says when waitFor timed out', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const { tasker, namespace } = await boot({
        name: 'lifecycle',
        steps: [{ name: 'gate', handler: async () => gate.then(() => 'through') }],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'lifecycle', context: {} });
      await expect(tasker.waitFor(taskId, { timeoutMs: 50 })).rejects.toMatchObject({
        code: 'WAIT_TIMEOUT',
        message: expect.stringMatching(/is still (pending|in_progress) after 50 ms/),
      });
      release();
      expect((await tasker.waitFor(taskId)).state).toBe('complete');
      await tasker.stop();
      await expect(tasker.start()).rejects.toMatchObject({
        code: 'TASKER_STOPPED',
        message: expect.stringContaining('make a new one with createTasker()'),
      });
    }, 60_000);

    it('times out a step on the injected clock, aborting its signal, then exhausts its retries', async () => {
      const signals: AbortSignal[] = [];
      const { tasker, namespace } = await boot({
        name: 'slow',
        steps: [
          {
            name: 'a',
            timeoutMs: 5_000,
            retryLimit: 1,
            handler: ({ signal }) => {
              signals.push(signal);
              return new Promise(() => {});
            },
          },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'slow', context: {} });
      await until(
        async () => signals.length,
        (n) => n === 1,
      );
      clock.advance(5_000);
      const t = await until(
        () => tasker.getTask(taskId),
        (x) => stepOf(x!, 'a').state === 'waiting_for_retry',
      );
      expect(signals[0]?.aborted).toBe(true);
      expect(t!.steps[0]?.error?.code).toBe('STEP_TIMEOUT');
      clock.advance(1_000);
      await until(
        async () => signals.length,
        (n) => n === 2,
      );
      clock.advance(5_000);
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('error');
      expect(stepOf(done, 'a').attempts).toBe(2);
    }, 60_000);

    it('cancels a running task: the handler signal fires and nothing runs after', async () => {
      const signals: AbortSignal[] = [];
      let childRan = false;
      const { tasker, namespace } = await boot({
        name: 'cancel',
        steps: [
          {
            name: 'a',
            handler: ({ signal }) => {
              signals.push(signal);
              return new Promise(() => {});
            },
          },
          {
            name: 'b',
            dependsOn: ['a'],
            handler: async () => {
              childRan = true;
            },
          },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'cancel', context: {} });
      await until(
        async () => signals.length,
        (n) => n === 1,
      );
      await tasker.cancel(taskId, { reason: 'customer left' });
      clock.advance(10_000); // the next lease renewal notices the cancellation
      await until(
        async () => signals[0]!.aborted,
        (a) => a,
      );
      const t = await tasker.waitFor(taskId);
      expect(t.state).toBe('cancelled');
      expect(t.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
      expect(childRan).toBe(false);
    }, 60_000);

    it('skips bypassed steps (their children run without their result) and resolves steps by hand', async () => {
      const seen: Record<string, unknown>[] = [];
      const { tasker, namespace } = await boot({
        name: 'skip',
        steps: [
          { name: 'notify', skippable: true, handler: async () => 'sent' },
          {
            name: 'fraud',
            handler: async () => {
              throw new PermanentError('service gone');
            },
          },
          {
            name: 'ship',
            dependsOn: ['notify', 'fraud'],
            handler: async ({ results }) => {
              seen.push({ ...results });
              return 'shipped';
            },
          },
        ],
      });
      await expect(
        tasker.submit({ namespace, name: 'skip', context: {}, bypassSteps: ['fraud'] }),
      ).rejects.toThrow('bypassSteps: step "fraud" of task');
      const { taskId } = await tasker.submit({
        namespace,
        name: 'skip',
        context: {},
        bypassSteps: ['notify'],
      });
      const failed = await tasker.waitFor(taskId);
      expect(failed.state).toBe('error');
      await tasker.resolveStepManually(stepOf(failed, 'fraud').id, {
        result: { score: 0 },
        actor: 'ops',
        reason: 'checked by hand',
      });
      const done = await tasker.waitFor(taskId);
      expect(done.state).toBe('complete');
      expect(done.steps.map((s) => [s.name, s.state])).toEqual([
        ['notify', 'skipped'],
        ['fraud', 'resolved_manually'],
        ['ship', 'complete'],
      ]);
      expect(seen).toEqual([{ fraud: { score: 0 } }]);
      expect(done.transitions.find((t) => t.to === 'resolved_manually')?.metadata).toMatchObject({
        actor: 'ops',
      });
    }, 60_000);

    it('rejects a bad context naming the field, returns the same task for an identity key, and reports cycles with their path', async () => {
      const { tasker, namespace } = await boot({
        name: 'ctx',
        contextSchema: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
        steps: [{ name: 'a', handler: async () => 1 }],
      });
      await expect(tasker.submit({ namespace, name: 'ctx', context: { orderId: 7 } })).rejects.toMatchObject({
        code: 'CONTEXT_INVALID',
        message: `Invalid context for task ${namespace}.ctx@0.1.0: context.orderId: must be string`,
      });
      const first = await tasker.submit({
        namespace,
        name: 'ctx',
        context: { orderId: 'o1' },
        identityKey: `k${namespace}`,
      });
      const again = await tasker.submit({
        namespace,
        name: 'ctx',
        context: { orderId: 'o1' },
        identityKey: `k${namespace}`,
      });
      expect(again).toEqual({ taskId: first.taskId, created: false });
      expect(() =>
        defineTask({
          name: 'c',
          steps: [
            { name: 'x', handler: 'h', dependsOn: ['y'] },
            { name: 'y', handler: 'h', dependsOn: ['x'] },
          ],
        }),
      ).toThrow('dependency cycle x → y → x');
    }, 60_000);

    it('hash identities deduplicate within their window after the first task, then create a new task', async () => {
      const { tasker, namespace } = await boot(
        { name: 'nightly', steps: [{ name: 'a', handler: async () => 1 }] },
        { identity: { identityStrategy: 'hash', identityWindowMs: 60_000 } },
      );
      const submit = (context: unknown) => tasker.submit({ namespace, name: 'nightly', context });
      const first = await submit({ day: 1 });
      expect(first.created).toBe(true);
      clock.advance(59_999);
      expect(await submit({ day: 1 })).toEqual({ taskId: first.taskId, created: false });
      // Another context is another identity.
      expect((await submit({ day: 2 })).created).toBe(true);
      // The window runs from the first task's creation: it has ended at 60 000 ms, not slid by
      // the duplicate at 59 999.
      clock.advance(1);
      const second = await submit({ day: 1 });
      expect(second.created).toBe(true);
      expect(second.taskId).not.toBe(first.taskId);
      clock.advance(30_000);
      expect(await submit({ day: 1 })).toEqual({ taskId: second.taskId, created: false });
      // A custom identity key has no window.
      const custom = await tasker.submit({
        namespace,
        name: 'nightly',
        context: {},
        identityKey: `c${namespace}`,
      });
      clock.advance(10 * 86_400_000);
      expect(
        await tasker.submit({ namespace, name: 'nightly', context: {}, identityKey: `c${namespace}` }),
      ).toEqual({
        taskId: custom.taskId,
        created: false,
      });
    }, 60_000);

    it('aborts a running handler as soon as its task is cancelled (the manual clock never renews a lease)', async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      let reason: unknown;
      const { tasker, namespace } = await boot({
        name: 'long',
        steps: [
          {
            name: 'wait',
            handler: async (ctx) => {
              started();
              await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
              reason = ctx.signal.reason;
              return 'stopped';
            },
          },
        ],
      });
      const { taskId } = await tasker.submit({ namespace, name: 'long', context: {} });
      await running;
      await tasker.cancel(taskId, { actor: 'ops' });
      await until(
        async () => reason,
        (r) => r !== undefined,
      );
      expect(String((reason as Error).message)).toMatch(/was cancelled or resolved by hand/);
      expect((await tasker.getTask(taskId))?.state).toBe('cancelled');
    }, 60_000);

    it('hash identities can cover chosen fields only', async () => {
      const { tasker, namespace } = await boot(
        { name: 'per-customer', steps: [{ name: 'a', handler: async () => 1 }] },
        { identity: { identityStrategy: 'hash', identityFields: ['context.customer.id'] } },
      );
      const submit = (context: unknown, initiator?: string) =>
        tasker.submit({ namespace, name: 'per-customer', context, ...(initiator ? { initiator } : {}) });
      const first = await submit({ customer: { id: 'c1' }, note: 'a' }, 'alice');
      expect(await submit({ customer: { id: 'c1' }, note: 'b' }, 'bob')).toEqual({
        taskId: first.taskId,
        created: false,
      });
      expect((await submit({ customer: { id: 'c2' }, note: 'a' }, 'alice')).created).toBe(true);
    }, 60_000);
  });
}
