import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from './backend';
import { keepsKey } from './consistent-sampling';
import { DEFAULT_EVENT_MAPPINGS } from './default-mappings';
import { createEventRouter } from './event-router';
import type { EventRouterOptions } from './router-options';

function recorder(name: string): RouterBackend & { events: RoutedEvent[] } {
  const events: RoutedEvent[] = [];
  return { name, events, handle: (event) => void events.push(event) };
}

function routerWith(options: EventRouterOptions = {}) {
  const trace = recorder('trace');
  const metrics = recorder('metrics');
  const logs = recorder('logs');
  const warnings: string[] = [];
  const router = createEventRouter({
    backends: { trace, metrics, logs },
    warn: (m) => warnings.push(m),
    ...options,
  });
  return { router, trace, metrics, logs, warnings };
}

const step = (taskId: string) => ({
  taskId,
  namespace: 'shop',
  taskName: 'checkout',
  version: '1.0.0',
  stepId: `${taskId}-s`,
  stepName: 'charge',
  attempt: 1,
  retryLimit: 3,
});

describe('mapping precedence: the user layer beats the default table', () => {
  it("applies a user's step.* to step.completed and step.failed, which the default table maps exactly", () => {
    const { router, trace, metrics, logs } = routerWith();
    router.map('step.*', { backends: ['metrics'], samplingRate: 0.25, samplingKey: 'taskId' });
    const ids = Array.from({ length: 1000 }, (_, i) => `task-${i}`);
    for (const id of ids) {
      router.route('step.completed', step(id));
      router.route('step.failed', { ...step(id), error: { name: 'E', message: 'm' } });
    }
    const kept = ids.filter((id) => keepsKey(id, 0.25)).length;
    expect(kept).toBeGreaterThan(200);
    expect(kept).toBeLessThan(300);
    // Sampled by task id at 0.25, to metrics only: the default table's trace and logs get nothing.
    expect(metrics.events).toHaveLength(2 * kept);
    expect(trace.events).toHaveLength(0);
    expect(logs.events).toHaveLength(0);
    expect(metrics.events.every((e) => e.samplingRate === 0.25 && e.mapping.eventName === 'step.*')).toBe(
      true,
    );
    expect(router.stats()).toMatchObject({ routed: 2 * kept, sampledOut: 2 * (1000 - kept) });
  });

  it('still lets the most specific of the user mappings win', () => {
    const { router } = routerWith();
    router.map('**', { backends: ['logs'] });
    router.map('step.*', { backends: ['metrics'] });
    router.map('step.failed', { backends: ['trace'] });
    expect(router.mappingFor('step.failed')?.eventName).toBe('step.failed');
    expect(router.mappingFor('step.completed')?.eventName).toBe('step.*');
    // A lone ** of the user's beats every exact name of the default table.
    expect(router.mappingFor('task.completed')?.eventName).toBe('**');
    expect(router.mappingFor('task.completed')?.backends).toEqual(['logs']);
  });

  it('falls back to the default table for names no user mapping matches', () => {
    const { router } = routerWith();
    router.map('step.*', { backends: ['metrics'] });
    expect(router.mappingFor('task.completed')).toEqual(
      DEFAULT_EVENT_MAPPINGS.find((m) => m.eventName === 'task.completed'),
    );
    expect(router.mappingFor('task.before_transition')).toBeUndefined();
  });

  it('says in stats() which layer and mapping decided each event name', () => {
    const { router } = routerWith();
    router.map('step.*', { backends: ['metrics'] });
    router.registerEvent({ name: 'shop.paid' });
    router.registerEvent({ name: 'shop.shipped' });
    router.map('shop.paid', { backends: ['logs'] });
    const { decisions, mappingsPerLayer } = router.stats();
    expect(decisions['step.completed']).toEqual({ layer: 'user', mapping: 'step.*' });
    expect(decisions['step.failed']).toEqual({ layer: 'user', mapping: 'step.*' });
    expect(decisions['task.completed']).toEqual({ layer: 'default', mapping: 'task.completed' });
    expect(decisions['observability.step.backoff']).toEqual({
      layer: 'default',
      mapping: 'observability.step.backoff',
    });
    expect(decisions['shop.paid']).toEqual({ layer: 'user', mapping: 'shop.paid' });
    // Known, but no mapping applies: absent.
    expect(decisions['shop.shipped']).toBeUndefined();
    expect(decisions['task.before_transition']).toBeUndefined();
    expect(mappingsPerLayer).toEqual({ default: DEFAULT_EVENT_MAPPINGS.length, user: 2 });
  });

  it('lists a user mapping in place of the default one of the same eventName', () => {
    const { router } = routerWith();
    const mine = router.map('task.completed', { backends: ['logs'] });
    const all = router.mappings();
    expect(all).toHaveLength(DEFAULT_EVENT_MAPPINGS.length);
    expect(all.filter((m) => m.eventName === 'task.completed')).toEqual([mine]);
    expect(all.at(-1)).toBe(mine);
    expect(router.stats()).toMatchObject({
      totalMappings: DEFAULT_EVENT_MAPPINGS.length,
      mappingsPerLayer: { default: DEFAULT_EVENT_MAPPINGS.length, user: 1 },
    });
    expect(router.eventsForBackend('trace')).not.toContain('task.completed');
  });

  it('puts mapDefault() under every user mapping, and above nothing of the user', () => {
    const { router } = routerWith({ mappings: [{ eventName: 'shop.*', backends: ['trace'] }] });
    router.registerEvent({ name: 'shop.paid' });
    router.mapDefault('shop.paid', { backends: ['metrics'] });
    // In its own layer, an exact name beats a pattern.
    expect(router.stats().decisions['shop.paid']).toEqual({ layer: 'default', mapping: 'shop.paid' });
    router.map('**', { backends: ['logs'] });
    expect(router.stats().decisions['shop.paid']).toEqual({ layer: 'user', mapping: '**' });
  });

  it('empties the user layer on reset()', () => {
    const { router } = routerWith();
    router.map('step.*', { backends: ['metrics'] });
    router.mapDefault('task.completed', { backends: ['logs'] });
    router.reset();
    expect(router.mappings()).toEqual(DEFAULT_EVENT_MAPPINGS);
    expect(router.stats().decisions['step.completed']).toEqual({
      layer: 'default',
      mapping: 'step.completed',
    });
  });
});

describe('deliveries to an unregistered backend', () => {
  it('are counted as unrouted and warned about once per backend name', () => {
    const metrics = recorder('metrics');
    const warnings: string[] = [];
    // The default table sends task.completed to trace, metrics and logs; only metrics is here.
    const router = createEventRouter({ backends: { metrics }, warn: (m) => warnings.push(m) });
    const task = { taskId: 't', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };
    router.route('task.completed', task);
    router.route('task.completed', task);
    router.route('task.failed', { ...task, error: { name: 'E', message: 'm' } });
    expect(metrics.events).toHaveLength(3);
    const stats = router.stats();
    expect(stats.unrouted).toBe(6);
    expect(stats.backends.trace).toMatchObject({ handled: 0, unrouted: 3 });
    expect(stats.backends.logs).toMatchObject({ handled: 0, unrouted: 3 });
    expect(warnings).toEqual([
      'Tasker router: "task.completed" is mapped to backend "trace", but no backend is registered under that name; its deliveries are counted as unrouted (register one with the backends option or addBackend, or map the event elsewhere; further deliveries are counted in stats())',
      'Tasker router: "task.completed" is mapped to backend "logs", but no backend is registered under that name; its deliveries are counted as unrouted (register one with the backends option or addBackend, or map the event elsewhere; further deliveries are counted in stats())',
    ]);
  });

  it('never throws, even when warn throws', () => {
    const router = createEventRouter({
      mappings: [{ eventName: 'task.completed', backends: ['nowhere'] }],
      warn: () => {
        throw new Error('warn broke');
      },
    });
    const task = { taskId: 't', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };
    expect(router.route('task.completed', task)).toBe(true);
    expect(router.stats().backends.nowhere).toMatchObject({ unrouted: 1 });
  });
});
