/**
 * Capability routing, queues and lease release, run once per store (PGlite and PostgreSQL) with
 * several engines sharing one store, on an injected manual clock (a lease never expires unless
 * a test moves time).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createManualClock,
  createTasker,
  defineTask,
  type StepHandler,
  type TaskDefinition,
  type Tasker,
  type TaskStore,
} from '../../src/index';

export function routingSuite(name: string, createStore: () => Promise<TaskStore>): void {
  describe(`claim routing on ${name}`, () => {
    let store: TaskStore;
    const clock = createManualClock(1_800_000_000_000);
    let running: Tasker[] = [];
    let seq = 0;

    beforeAll(async () => {
      store = await createStore();
    }, 60_000);
    afterEach(async () => {
      for (const t of running) await t.stop();
      running = [];
      const open = await store.listTasks({ state: ['pending', 'in_progress', 'error'], limit: 500 });
      for (const x of open.tasks) await store.cancelTask(x.id, clock.now());
    });
    afterAll(async () => {
      await store?.close();
    });

    function engine(
      tasks: TaskDefinition[],
      options: { queues?: string[]; start?: boolean; shutdownTimeoutMs?: number } = {},
    ): Tasker {
      const tasker = createTasker({
        store,
        tasks,
        clock,
        config: {
          engine: {
            pollIntervalMs: 20,
            tickIntervalMs: 5,
            leaseMs: 30_000,
            shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
          },
          execution: { concurrency: 4, ...(options.queues === undefined ? {} : { queues: options.queues }) },
        },
        onError: (error, during) => console.warn(`[routing test] ${during}:`, error),
      });
      running.push(tasker);
      return tasker;
    }

    async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
      for (let i = 0; i < 1_500; i++) {
        const v = await read();
        if (done(v)) return v;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`not reached: ${what}`);
    }

    /** A definition of `version` whose one step records which worker ran it. */
    function deploy(namespace: string, version: string, ran: string[], who: string, queue?: string) {
      const handler: StepHandler = async ({ version: v }) => {
        ran.push(`${who}:${v}`);
        return who;
      };
      return defineTask({
        namespace,
        name: 'deploy',
        version,
        ...(queue === undefined ? {} : { queue }),
        steps: [{ name: 'run', handler }],
      });
    }

    it('claims only the task versions a worker registered; the other version waits, visibly, and never fails', async () => {
      const ns = `route${++seq}`;
      const ran: string[] = [];
      const v1 = deploy(ns, '1.0.0', ran, 'old', undefined);
      const v2 = deploy(ns, '2.0.0', ran, 'new', undefined);
      const old = engine([v1]);
      await old.start();
      const submitter = engine([v1, v2]);
      const one = await submitter.submit({ namespace: ns, name: 'deploy', version: '1.0.0', context: {} });
      const two = await submitter.submit({ namespace: ns, name: 'deploy', version: '2.0.0', context: {} });

      await until(
        () => old.getTask(one.taskId),
        (t) => t?.state === 'complete',
        'v1 task complete',
      );
      // Time for several claims of the old worker: none may take the 2.0.0 step.
      await new Promise((r) => setTimeout(r, 300));
      const waiting = await old.getTask(two.taskId);
      const step = waiting!.steps[0]!;
      expect(step.state).toBe('pending');
      expect(step.attempts).toBe(0);
      expect(step.waitingReason).toEqual({
        code: 'no_worker',
        message: `no live worker runs ${ns}/deploy@2.0.0 in queue "default"`,
      });

      const fresh = engine([v1, v2]);
      await fresh.start();
      const done = await fresh.waitFor(two.taskId, { timeoutMs: 15_000 });
      expect(done.state).toBe('complete');
      expect(done.steps[0]!.attempts).toBe(1);
      expect(done.steps[0]!.waitingReason).toBeUndefined();
      expect(ran).toEqual(['old:1.0.0', 'new:2.0.0']);
      const workers = await fresh.workers();
      const live = workers
        .filter((w) => w.running)
        .map((w) => w.claimKeys.filter((k) => k.startsWith(`default ${ns}`)));
      expect(live).toContainEqual([`default ${ns}/deploy@1.0.0`]);
      expect(live).toContainEqual([`default ${ns}/deploy@1.0.0`, `default ${ns}/deploy@2.0.0`]);
    });

    it('a worker dedicated to a queue runs only that queue; a step of a queue no one takes waits', async () => {
      const ns = `queue${++seq}`;
      const ran: string[] = [];
      const mixed = defineTask({
        namespace: ns,
        name: 'render',
        version: '1.0.0',
        steps: [
          { name: 'prepare', handler: async () => void ran.push('prepare') },
          { name: 'gpu', queue: 'gpu', dependsOn: ['prepare'], handler: async () => void ran.push('gpu') },
        ],
      });
      const cpu = engine([mixed], { queues: ['default'] });
      await cpu.start();
      const { taskId } = await cpu.submit({ namespace: ns, name: 'render', version: '1.0.0', context: {} });
      const held = await until(
        () => cpu.getTask(taskId),
        (t) => t?.steps.find((s) => s.name === 'prepare')?.state === 'complete',
        'prepare complete',
      );
      await new Promise((r) => setTimeout(r, 200));
      const gpu = (await cpu.getTask(taskId))!.steps.find((s) => s.name === 'gpu')!;
      expect(held?.state).toBe('in_progress');
      expect(gpu.state).toBe('pending');
      expect(gpu.queue).toBe('gpu');
      expect(gpu.waitingReason?.message).toBe(`no live worker runs ${ns}/render@1.0.0 in queue "gpu"`);

      const gpuWorker = engine([mixed], { queues: ['gpu'] });
      await gpuWorker.start();
      expect((await gpuWorker.waitFor(taskId, { timeoutMs: 15_000 })).state).toBe('complete');
      expect(ran).toEqual(['prepare', 'gpu']);
    });

    it('a stopping worker gives up the leases of the handlers it stopped: another takes them at once, long before they expire', async () => {
      const ns = `release${++seq}`;
      const started: string[] = [];
      const slow: StepHandler = ({ signal }) =>
        new Promise((_resolve, reject) => {
          started.push('slow');
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      const def = defineTask({
        namespace: ns,
        name: 'long',
        version: '1.0.0',
        steps: [{ name: 'wait', handler: slow }],
      });
      const first = engine([def], { shutdownTimeoutMs: 0 });
      await first.start();
      const { taskId } = await first.submit({ namespace: ns, name: 'long', version: '1.0.0', context: {} });
      await until(
        async () => started.length,
        (n) => n === 1,
        'first attempt started',
      );
      await first.stop();

      // The manual clock has not moved: the 30 s lease would still hold. Only a release frees it.
      const quick = defineTask({
        namespace: ns,
        name: 'long',
        version: '1.0.0',
        steps: [{ name: 'wait', handler: async () => 'done' }],
      });
      const second = engine([quick]);
      await second.start();
      const done = await second.waitFor(taskId, { timeoutMs: 15_000 });
      expect(done.state).toBe('complete');
      const reasons = done.transitions
        .filter((t) => t.stepName === 'wait')
        .map((t) => `${t.from}→${t.to}:${t.reason ?? ''}`);
      expect(reasons).toEqual([
        'null→pending:',
        'pending→in_progress:claimed',
        'in_progress→pending:lease_expired',
        'pending→in_progress:claimed',
        'in_progress→complete:',
      ]);
    });
  });
}
