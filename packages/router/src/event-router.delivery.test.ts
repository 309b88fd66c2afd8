import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from './backend';
import { createEventRouter } from './event-router';
import type { BackendErrorContext } from './router-options';

const task = { taskId: 't1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };

/** A backend whose promises settle only when the test says so. */
function slowBackend(name: string) {
  const waiting: { event: RoutedEvent; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const backend: RouterBackend = {
    name,
    handle: (event) =>
      new Promise<void>((resolve, reject) => {
        waiting.push({ event, resolve, reject });
      }),
  };
  return { backend, waiting };
}

describe('backend failures', () => {
  it('isolates a throwing backend: route still delivers to the others and reports the error', () => {
    const errors: [unknown, BackendErrorContext][] = [];
    const seen: string[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: 'task.completed', backends: ['broken', 'good'] }],
      backends: {
        broken: {
          name: 'broken',
          handle: () => {
            throw new Error('exporter down');
          },
        },
        good: { name: 'good', handle: (e) => void seen.push(e.name) },
      },
      onError: (error, context) => errors.push([error, context]),
    });
    expect(() => router.route('task.completed', task)).not.toThrow();
    expect(router.route('task.completed', task)).toBe(true);
    expect(seen).toEqual(['task.completed', 'task.completed']);
    expect(errors).toHaveLength(2);
    const [error, context] = errors[0] as [unknown, BackendErrorContext];
    expect((error as Error).message).toBe('exporter down');
    expect(context.backend).toBe('broken');
    expect(context.event.name).toBe('task.completed');
    expect(router.stats().backends.broken).toMatchObject({ handled: 2, errors: 2 });
    expect(router.stats().errors).toBe(2);
  });

  it('reports a rejected promise to onError and counts it, without an unhandled rejection', async () => {
    const errors: unknown[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const router = createEventRouter({
        mappings: [{ eventName: 'task.completed', backends: ['remote'] }],
        backends: {
          remote: { name: 'remote', handle: async () => Promise.reject(new Error('503 from collector')) },
        },
        onError: (error) => errors.push(error),
      });
      router.route('task.completed', task);
      expect(router.stats().backends.remote?.pending).toBe(1);
      await router.drain();
      await new Promise((resolve) => setImmediate(resolve));
      expect((errors[0] as Error).message).toBe('503 from collector');
      expect(router.stats().backends.remote).toMatchObject({ handled: 1, errors: 1, pending: 0 });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('survives an onError handler that throws, still counting the error', () => {
    const router = createEventRouter({
      mappings: [{ eventName: 'task.completed', backends: ['broken'] }],
      backends: {
        broken: {
          name: 'broken',
          handle: () => {
            throw new Error('boom');
          },
        },
      },
      onError: () => {
        throw new Error('the error handler is broken too');
      },
    });
    expect(router.route('task.completed', task)).toBe(true);
    expect(router.stats().errors).toBe(1);
  });

  it('warns once per failing backend by default', () => {
    const warnings: string[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: 'task.completed', backends: ['broken'] }],
      backends: {
        broken: {
          name: 'broken',
          handle: () => {
            throw new Error('boom');
          },
        },
      },
      warn: (m) => warnings.push(m),
    });
    for (let i = 0; i < 5; i++) router.route('task.completed', task);
    expect(warnings).toEqual([
      'Tasker router: backend "broken" failed on "task.completed": boom (further errors are counted in stats())',
    ]);
    expect(router.stats().errors).toBe(5);
  });
});

describe('backpressure', () => {
  it('sheds a slow backend: normal first, then high, never critical', async () => {
    const slow = slowBackend('slow');
    const router = createEventRouter({
      mappings: [
        { eventName: 'step.completed', backends: ['slow'], priority: 'normal' },
        { eventName: 'observability.step.max_retries_reached', backends: ['slow'], priority: 'high' },
        { eventName: 'memory.spike_detected', backends: ['slow'], priority: 'critical' },
      ],
      backends: { slow: slow.backend },
      pendingLimits: { normal: 3, high: 5 },
    });
    const route = (
      name: 'step.completed' | 'observability.step.max_retries_reached' | 'memory.spike_detected',
    ) => router.route(name, {} as never);

    // Three normal events fill the normal allowance; the fourth is shed.
    expect([route('step.completed'), route('step.completed'), route('step.completed')]).toEqual([
      true,
      true,
      true,
    ]);
    route('step.completed');
    expect(router.stats().backends.slow).toMatchObject({ handled: 3, dropped: 1, pending: 3 });

    // High events still pass until the high limit, then are shed too.
    route('observability.step.max_retries_reached');
    route('observability.step.max_retries_reached');
    route('observability.step.max_retries_reached');
    expect(router.stats().backends.slow).toMatchObject({ handled: 5, dropped: 2, pending: 5 });

    // Critical events are never shed.
    for (let i = 0; i < 10; i++) route('memory.spike_detected');
    expect(router.stats().backends.slow).toMatchObject({ handled: 15, dropped: 2, pending: 15 });
    expect(router.stats().dropped).toBe(2);

    // Once the backend catches up, normal events flow again.
    for (const w of slow.waiting.splice(0)) w.resolve();
    await router.drain();
    route('step.completed');
    expect(router.stats().backends.slow).toMatchObject({ handled: 16, pending: 1 });
    expect(slow.waiting.map((w) => w.event.name)).toEqual(['step.completed']);
  });

  it('keeps other backends unaffected while one is shedding', () => {
    const slow = slowBackend('slow');
    const fast: string[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: 'step.completed', backends: ['slow', 'fast'] }],
      backends: { slow: slow.backend, fast: { name: 'fast', handle: (e) => void fast.push(e.name) } },
      pendingLimits: { normal: 2, high: 2 },
    });
    for (let i = 0; i < 10; i++) router.route('step.completed', {} as never);
    expect(fast).toHaveLength(10);
    expect(router.stats().backends.slow).toMatchObject({ handled: 2, dropped: 8 });
  });

  it('drain() waits for every pending promise', async () => {
    const slow = slowBackend('slow');
    const router = createEventRouter({
      mappings: [{ eventName: 'step.completed', backends: ['slow'] }],
      backends: { slow: slow.backend },
    });
    router.route('step.completed', {} as never);
    router.route('step.completed', {} as never);
    let drained = false;
    const done = router.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    slow.waiting[0]?.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    slow.waiting[1]?.reject(new Error('late failure'));
    await done;
    expect(drained).toBe(true);
    expect(router.stats().backends.slow).toMatchObject({ pending: 0, errors: 1 });
  });
});
