import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from './backend';
import { CATALOG_EVENT_NAMES } from './catalog';
import { DEFAULT_EVENT_MAPPINGS } from './default-mappings';
import { isRouterError } from './errors';
import { createEventRouter, type EventRouter } from './event-router';
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
    now: () => 1_000,
    ...options,
  });
  return { router, trace, metrics, logs, warnings };
}

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isRouterError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected a RouterError');
}

const task = { taskId: 't1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };

describe('createEventRouter', () => {
  it('starts with the default table', () => {
    const { router } = routerWith();
    expect(router.mappings()).toEqual(DEFAULT_EVENT_MAPPINGS);
  });

  it('starts empty with mappings: []', () => {
    const { router } = routerWith({ mappings: [] });
    expect(router.mappings()).toEqual([]);
    expect(router.stats().totalMappings).toBe(0);
  });

  it('validates options, naming the field', () => {
    expect(thrown(() => createEventRouter({ mappings: [{ eventName: 'a.b', samplingRate: 3 }] }))).toEqual({
      code: 'ROUTER_OPTIONS_INVALID',
      message:
        'Invalid event router options: mappings.0: Invalid event mapping for "a.b": samplingRate: expected a number from 0 to 1, received 3',
    });
    expect(
      thrown(() => createEventRouter({ backends: { trace: { name: 'trace' } as unknown as RouterBackend } }))
        .message,
    ).toBe(
      'Invalid event router options: backends.trace: expected a backend plugin: an object with a string "name" and a "handle(event)" function',
    );
    expect(thrown(() => createEventRouter({ random: 0.5 as unknown as () => number })).message).toBe(
      'Invalid event router options: random: expected a function returning a number in [0, 1), received 0.5',
    );
    expect(thrown(() => createEventRouter({ pendingLimits: { normal: 10, high: 5 } })).message).toBe(
      'Invalid event router options: pendingLimits: expected high to be at least normal',
    );
    expect(thrown(() => createEventRouter({ pendingLimits: { normal: 0, high: 5 } })).message).toBe(
      'Invalid event router options: pendingLimits.normal: expected a positive integer, received 0',
    );
    expect(thrown(() => createEventRouter({ mapings: [] } as unknown as EventRouterOptions)).message).toBe(
      'Invalid event router options: mapings: unknown field',
    );
  });

  it('keeps no state between routers', () => {
    const a = routerWith().router;
    const b = routerWith().router;
    a.map('task.completed', { backends: ['logs'] });
    expect(a.mappingFor('task.completed')?.backends).toEqual(['logs']);
    expect(b.mappingFor('task.completed')?.backends).toEqual(['trace', 'metrics', 'logs']);
  });
});

describe('map and configure', () => {
  it('adds a mapping with defaults, the last one for a name winning', () => {
    const { router } = routerWith({ mappings: [] });
    expect(router.map('shop.order_placed' as string).backends).toEqual(['trace']);
    router.map('task.completed', { backends: ['metrics'] });
    router.map('task.completed', { backends: ['logs'], priority: 'high' });
    expect(router.mappingFor('task.completed')).toMatchObject({ backends: ['logs'], priority: 'high' });
    expect(router.mappings().filter((m) => m.eventName === 'task.completed')).toHaveLength(1);
  });

  it('configure adds many, and changes nothing when one entry is bad', () => {
    const { router } = routerWith({ mappings: [] });
    router.configure({ 'task.completed': { backends: ['metrics'] }, 'step.*': { backends: ['trace'] } });
    expect(router.mappings().map((m) => m.eventName)).toEqual(['task.completed', 'step.*']);
    const error = thrown(() =>
      router.configure({
        'task.failed': { backends: ['logs'] },
        'task.cancelled': { priority: 'urgent' as 'high' },
      }),
    );
    expect(error.message).toContain('Invalid event mapping for "task.cancelled": priority:');
    expect(router.mappingFor('task.failed')).toBeUndefined();
  });

  it('map() rejects bad options with the field named', () => {
    const { router } = routerWith();
    expect(thrown(() => router.map('task.completed', { samplingRate: 1.5 })).message).toBe(
      'Invalid event mapping for "task.completed": samplingRate: expected a number from 0 to 1, received 1.5',
    );
  });

  it('takes effect on the next route (the cache is invalidated)', () => {
    const { router, trace, logs } = routerWith({
      mappings: [{ eventName: 'task.completed', backends: ['trace'] }],
    });
    router.route('task.completed', task);
    router.map('task.completed', { backends: ['logs'] });
    router.route('task.completed', task);
    expect(trace.events).toHaveLength(1);
    expect(logs.events).toHaveLength(1);
  });
});

describe('patterns', () => {
  function patternRouter(): ReturnType<typeof routerWith> {
    return routerWith({
      mappings: [
        { eventName: '**', backends: ['logs'] },
        { eventName: 'step.**', backends: ['metrics'] },
        { eventName: 'step.*', backends: ['trace'] },
        { eventName: 'step.failed', backends: ['trace', 'metrics', 'logs'] },
        { eventName: '*.completed', backends: ['metrics', 'logs'] },
      ],
    });
  }

  it('prefers an exact mapping, then the more specific pattern', () => {
    const { router } = patternRouter();
    expect(router.mappingFor('step.failed')?.eventName).toBe('step.failed');
    expect(router.mappingFor('step.completed')?.eventName).toBe('step.*');
    expect(router.mappingFor('task.completed')?.eventName).toBe('*.completed');
    expect(router.mappingFor('observability.step.backoff')?.eventName).toBe('**');
  });

  it('routes by the winning mapping', () => {
    const { router, trace, metrics, logs } = patternRouter();
    router.route('step.completed', { ...task, stepId: 's', stepName: 'x', attempt: 1, retryLimit: 3 });
    router.route('task.completed', task);
    expect(trace.events.map((e) => e.name)).toEqual(['step.completed']);
    expect(metrics.events.map((e) => e.name)).toEqual(['task.completed']);
    expect(logs.events.map((e) => e.name)).toEqual(['task.completed']);
    expect(trace.events[0]?.mapping.eventName).toBe('step.*');
  });

  it('re-resolves cached names when a more specific pattern is added', () => {
    const { router, trace, metrics } = routerWith({
      mappings: [{ eventName: 'step.**', backends: ['trace'] }],
    });
    const step = { ...task, stepId: 's', stepName: 'x', attempt: 1, retryLimit: 3 };
    router.route('step.completed', step);
    router.map('step.*', { backends: ['metrics'] });
    router.route('step.completed', step);
    expect(trace.events).toHaveLength(1);
    expect(metrics.events).toHaveLength(1);
  });
});

describe('introspection', () => {
  it('routesTo is always a boolean', () => {
    const { router } = routerWith();
    expect(router.routesTo('task.completed', 'trace')).toBe(true);
    expect(router.routesTo('task.completed', 'nowhere')).toBe(false);
    expect(router.routesTo('task.before_transition', 'trace')).toBe(false);
    expect(router.routesTo('not.known', 'trace')).toBe(false);
    router.map('task.completed', { enabled: false });
    expect(router.routesTo('task.completed', 'trace')).toBe(false);
  });

  it('eventsForBackend lists enabled mappings, and [] for a backend nothing routes to', () => {
    const { router } = routerWith();
    expect(router.eventsForBackend('nowhere')).toEqual([]);
    expect(router.eventsForBackend('metrics')).toContain('observability.task.enqueue');
    expect(router.eventsForBackend('metrics')).not.toContain('observability.task.finalize');
    expect(router.eventsForBackend('logs').sort()).toEqual(
      DEFAULT_EVENT_MAPPINGS.filter((m) => m.backends.includes('logs'))
        .map((m) => m.eventName)
        .sort(),
    );
    router.map('task.completed', { enabled: false });
    expect(router.eventsForBackend('logs')).not.toContain('task.completed');
  });

  it('stats() counts mappings by kind and backend', () => {
    const { router } = routerWith();
    const stats = router.stats();
    expect(stats.totalMappings).toBe(27);
    expect(stats.enabledMappings).toBe(27);
    expect(stats.highPriorityMappings).toBe(4);
    expect(stats.sampledMappings).toBe(1);
    expect(stats.mappingsPerBackend).toEqual({ trace: 25, metrics: 22, logs: 11 });
  });
});

describe('custom events', () => {
  it('registers a dotted name and routes it once mapped', () => {
    const { router, metrics } = routerWith();
    const definition = router.registerEvent({
      name: 'shop.order_fulfilled',
      description: 'an order left the warehouse',
    });
    expect(definition).toEqual({
      name: 'shop.order_fulfilled',
      description: 'an order left the warehouse',
      firedBy: [],
    });
    expect(router.isKnownEvent('shop.order_fulfilled')).toBe(true);
    router.map('shop.*', { backends: ['metrics'] });
    expect(router.route('shop.order_fulfilled', { orderId: 'o1' })).toBe(true);
    expect(metrics.events.map((e) => e.name)).toEqual(['shop.order_fulfilled']);
  });

  it('treats an identical re-registration as a no-op', () => {
    const { router } = routerWith();
    const first = router.registerEvent({ name: 'shop.paid', description: 'paid', firedBy: ['PaymentStep'] });
    const again = router.registerEvent({ name: 'shop.paid', description: 'paid', firedBy: ['PaymentStep'] });
    expect(again).toBe(first);
    expect(router.customEvents()).toHaveLength(1);
  });

  it('rejects a different definition under the same name', () => {
    const { router } = routerWith();
    router.registerEvent({ name: 'shop.paid', description: 'paid' });
    expect(thrown(() => router.registerEvent({ name: 'shop.paid', description: 'paid twice' }))).toEqual({
      code: 'EVENT_DEFINITION_CONFLICT',
      message:
        'Custom event "shop.paid" is already registered with a different definition (description "paid", firedBy [])',
    });
  });

  it('rejects reserved namespaces, test included', () => {
    const { router } = routerWith();
    for (const name of [
      'task.custom',
      'step.mine',
      'workflow.x',
      'observability.y',
      'test.event',
      'memory.z',
    ]) {
      const error = thrown(() => router.registerEvent({ name }));
      expect(error.code).toBe('EVENT_NAME_RESERVED');
      expect(error.message).toContain(
        `Custom event "${name}" uses the reserved namespace "${name.split('.')[0]}"`,
      );
    }
  });

  it('rejects names that are not dotted', () => {
    const { router } = routerWith();
    for (const name of ['order', '', 'order.', 'order.*', 'a b.c']) {
      const error = thrown(() => router.registerEvent({ name }));
      expect(error.code).toBe('EVENT_DEFINITION_INVALID');
      expect(error.message).toContain('name: expected a dotted event name such as "order.fulfilled"');
    }
  });
});

describe('unknown and unmapped events', () => {
  it('counts an unknown name as unrouted and warns once per name', () => {
    const { router, warnings, logs } = routerWith({ mappings: [{ eventName: '**', backends: ['logs'] }] });
    expect(router.route('shop.unregistered', {})).toBe(false);
    expect(router.route('shop.unregistered', {})).toBe(false);
    expect(logs.events).toHaveLength(0);
    expect(router.stats().unrouted).toBe(2);
    expect(warnings).toEqual([
      'Tasker router: event "shop.unregistered" is neither in the catalog nor registered; it is counted as unrouted (register it with router.registerEvent)',
    ]);
  });

  it('counts a known event with no mapping as unrouted, and a disabled one as disabled', () => {
    const { router } = routerWith();
    expect(router.route('task.before_transition', { ...task, fromState: null, toState: 'pending' })).toBe(
      false,
    );
    router.map('task.completed', { enabled: false });
    expect(router.route('task.completed', task)).toBe(false);
    expect(router.stats()).toMatchObject({ unrouted: 1, disabled: 1, routed: 0 });
  });

  it('counts deliveries to an unregistered backend as unrouted, never throwing', () => {
    const { router, trace } = routerWith({
      mappings: [{ eventName: 'task.completed', backends: ['trace', 'datadog'] }],
    });
    expect(router.route('task.completed', task)).toBe(true);
    expect(trace.events).toHaveLength(1);
    const stats = router.stats();
    expect(stats.unrouted).toBe(1);
    expect(stats.backends.datadog).toEqual({ handled: 0, errors: 0, dropped: 0, unrouted: 1, pending: 0 });
  });

  it('delivers to a backend added later, and counts it unrouted once removed', () => {
    const { router } = routerWith({ mappings: [{ eventName: 'task.completed', backends: ['audit'] }] });
    router.route('task.completed', task);
    const audit = recorder('audit');
    router.addBackend('audit', audit);
    router.route('task.completed', task);
    expect(router.removeBackend('audit')).toBe(true);
    expect(router.removeBackend('audit')).toBe(false);
    router.route('task.completed', task);
    expect(audit.events).toHaveLength(1);
    expect(router.stats().backends.audit).toMatchObject({ handled: 1, unrouted: 2 });
  });

  it('addBackend rejects a taken name and a malformed plugin', () => {
    const { router } = routerWith();
    expect(thrown(() => router.addBackend('trace', recorder('trace'))).message).toBe(
      'A backend is already registered as "trace"; remove it first',
    );
    expect(thrown(() => router.addBackend('x', {} as RouterBackend)).message).toContain(
      'Invalid backend "x": backend: expected a backend plugin',
    );
  });
});

describe('routed events', () => {
  it('carries id, name, payload, timestamp, mapping and effective sampling rate', () => {
    const { router, trace } = routerWith();
    router.route('task.completed', task, undefined, '7f3a.0');
    router.route('task.completed', task, 42);
    expect(trace.events[0]).toEqual({
      id: '7f3a.0',
      name: 'task.completed',
      payload: task,
      timestamp: 1_000,
      mapping: router.mappingFor('task.completed'),
      samplingRate: 1,
    });
    expect(trace.events[1]?.timestamp).toBe(42);
  });

  it('passes the id the publisher gave unchanged, also when it repeats one', () => {
    const { router, trace, metrics } = routerWith();
    router.route('task.completed', task, 42, '1234.0');
    router.route('task.completed', task, 42, '1234.0');
    router.route(
      'step.completed',
      { ...task, stepId: 's', stepName: 'x', attempt: 1, retryLimit: 1 },
      42,
      'x',
    );
    expect(trace.events.map((e) => e.id)).toEqual(['1234.0', '1234.0', 'x']);
    expect(metrics.events.map((e) => e.id)).toEqual(['1234.0', '1234.0', 'x']);
  });

  it('makes an id for an event routed without one: a random prefix per router, then a base-36 counter', () => {
    const a = routerWith();
    const b = routerWith();
    // 3,000 ids run past two blocks of 36² (the counter's two low digits come from a table).
    for (let i = 0; i < 3000; i++) {
      a.router.route('task.completed', task);
      b.router.route('task.completed', task);
    }
    const idsA = a.trace.events.map((e) => e.id);
    const idsB = b.trace.events.map((e) => e.id);
    const prefixA = idsA[0]?.slice(0, 22) ?? '';
    expect(prefixA).toMatch(/^[0-9a-z]{21}-$/);
    expect(idsB[0]?.slice(0, 22)).not.toBe(prefixA);
    expect(idsA).toEqual(idsA.map((_, i) => prefixA + i.toString(36).padStart(2, '0')));
    expect(new Set([...idsA, ...idsB]).size).toBe(6000);
  });

  it('goes on with its id counter after reset(), so a generated id never repeats', () => {
    const { router, trace } = routerWith();
    router.route('task.completed', task);
    router.reset();
    router.route('task.completed', task);
    expect(trace.events).toHaveLength(2);
    expect(trace.events[1]?.id).not.toBe(trace.events[0]?.id);
  });

  it('hands one shared event object to every backend of the mapping', () => {
    const { router, trace, metrics, logs } = routerWith();
    router.route('task.completed', task);
    expect(trace.events[0]).toBe(metrics.events[0]);
    expect(metrics.events[0]).toBe(logs.events[0]);
  });

  it('routes every catalog event that the default table maps', () => {
    const { router, trace, metrics, logs } = routerWith();
    let routed = 0;
    for (const name of CATALOG_EVENT_NAMES) {
      if (router.mappingFor(name)?.samplingRate === 1 && router.route(name, {} as never)) routed++;
    }
    expect(routed).toBe(26);
    expect(trace.events.length + metrics.events.length + logs.events.length).toBe(
      DEFAULT_EVENT_MAPPINGS.filter((m) => m.samplingRate === 1).reduce((n, m) => n + m.backends.length, 0),
    );
  });
});

describe('reset', () => {
  it('restores the initial mappings and zeroes the counters', () => {
    const { router } = routerWith();
    router.map('task.completed', { backends: ['logs'] });
    router.route('task.completed', task);
    router.route('nobody.knows', {});
    router.reset();
    expect(router.mappingFor('task.completed')?.backends).toEqual(['trace', 'metrics', 'logs']);
    const stats = router.stats();
    expect(stats).toMatchObject({ routed: 0, unrouted: 0, errors: 0, dropped: 0, sampledOut: 0 });
    expect(stats.backends.logs).toEqual({ handled: 0, errors: 0, dropped: 0, unrouted: 0, pending: 0 });
  });
});

// Keeps the type-level contract honest: known names take their payload type.
export function typedRoutes(router: EventRouter): void {
  router.route('task.failed', { ...task, error: { name: 'E', message: 'm' } });
  // @ts-expect-error task.failed requires an error
  router.route('task.failed', task);
  router.route('shop.anything', { free: 'form' });
}
