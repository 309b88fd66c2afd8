import { describe, expect, it } from 'vitest';
import type { RoutedEvent, RouterBackend } from './backend';
import { keepsKey } from './consistent-sampling';
import { isRouterError } from './errors';
import { createEventRouter } from './event-router';

const task = (taskId: string) => ({ taskId, namespace: 'shop', taskName: 'checkout', version: '1.0.0' });

function recorder(name: string): RouterBackend & { events: RoutedEvent[] } {
  const events: RoutedEvent[] = [];
  return { name, events, handle: (e) => void events.push(e) };
}

function setup() {
  const trace = recorder('trace');
  const warnings: string[] = [];
  const router = createEventRouter({
    mappings: [
      { eventName: 'task.completed', backends: ['trace'] },
      { eventName: 'task.failed', backends: ['trace'], enabled: false },
      { eventName: 'step.completed', backends: ['trace'], samplingRate: 0 },
    ],
    backends: { trace },
    warn: (m) => void warnings.push(m),
  });
  return { router, trace, warnings };
}

describe('router taps', () => {
  it('receive every matching event in addition to its mapping, even unmapped, disabled or sampled-out ones', () => {
    const { router, trace } = setup();
    const feed = recorder('feed');
    router.tap(feed, { events: ['task.*', 'step.*'] });
    router.route('task.completed', task('t1'), 1000, 'e1');
    router.route('task.failed', { ...task('t2'), error: { message: 'x' } } as never, 1001);
    router.route('step.completed', { ...task('t3'), stepName: 'a' } as never, 1002);
    router.route('task.start_requested', task('t4'), 1003);
    router.route('workflow.viable_steps_discovered', {} as never, 1004);
    router.route('nobody.knows', {} as never);

    expect(trace.events.map((e) => e.name)).toEqual(['task.completed']);
    expect(feed.events.map((e) => e.name)).toEqual([
      'task.completed',
      'task.failed',
      'step.completed',
      'task.start_requested',
    ]);
    // The tapped and the mapped delivery are one event: same id and time, each with its mapping.
    expect(feed.events[0]).toMatchObject({ id: 'e1', timestamp: 1000, samplingRate: 1 });
    expect(trace.events[0]).toMatchObject({ id: 'e1', timestamp: 1000 });
    expect(feed.events[0]?.mapping).toMatchObject({
      eventName: 'task.*',
      backends: ['feed'],
      metadata: { tap: 'feed' },
    });
    expect(trace.events[0]?.mapping.eventName).toBe('task.completed');
  });

  it('shares a generated id and the clock reading with the mapped delivery', () => {
    let clock = 5000;
    const trace = recorder('trace');
    const router = createEventRouter({
      mappings: [{ eventName: 'task.completed', backends: ['trace'] }],
      backends: { trace },
      now: () => clock++,
    });
    const feed = recorder('feed');
    router.tap(feed);
    router.route('task.completed', task('t1'));
    expect(feed.events[0]?.timestamp).toBe(5000);
    expect(trace.events[0]?.timestamp).toBe(5000);
    expect(feed.events[0]?.id).toBe(trace.events[0]?.id);
  });

  it('counts taps apart in stats, and route() still answers for the mapping', () => {
    const { router } = setup();
    router.tap(recorder('feed'), { events: 'task.*' });
    expect(router.route('task.failed', task('t1') as never)).toBe(false);
    expect(router.route('task.completed', task('t2'))).toBe(true);
    const stats = router.stats();
    expect(stats.routed).toBe(1);
    expect(stats.disabled).toBe(1);
    expect(stats.backends.trace?.handled).toBe(1);
    expect(stats.backends.feed).toBeUndefined();
    expect(stats.taps.feed).toEqual({
      events: ['task.*'],
      samplingRate: 1,
      handled: 2,
      sampledOut: 0,
      errors: 0,
      dropped: 0,
      pending: 0,
    });
  });

  it('samples on its own, consistently by key', () => {
    const { router, trace } = setup();
    const feed = recorder('feed');
    router.tap(feed, { events: 'task.completed', samplingRate: 0.3, samplingKey: 'taskId' });
    const ids = Array.from({ length: 2000 }, (_, i) => `task-${i}`);
    for (const id of ids) router.route('task.completed', task(id));
    const expected = ids.filter((id) => keepsKey(id, 0.3));
    expect(feed.events.map((e) => (e.payload as { taskId: string }).taskId)).toEqual(expected);
    expect(feed.events.every((e) => e.samplingRate === 0.3)).toBe(true);
    expect(trace.events).toHaveLength(2000);
    expect(router.stats().taps.feed?.sampledOut).toBe(2000 - expected.length);
    expect(router.stats().sampledOut).toBe(0);
  });

  it("samples critical events by the tap's rate: priority bypasses only the mapping's sampling", () => {
    const trace = recorder('trace');
    const router = createEventRouter({
      mappings: [{ eventName: 'task.failed', backends: ['trace'], samplingRate: 0, priority: 'critical' }],
      backends: { trace },
    });
    const feed = recorder('feed');
    router.tap(feed, { samplingRate: 0 });
    router.route('task.failed', task('t1') as never);
    expect(trace.events).toHaveLength(1);
    expect(feed.events).toHaveLength(0);
    expect(router.stats().taps.feed?.sampledOut).toBe(1);
  });

  it('a throwing tap is counted and warned about once, and breaks no other delivery', async () => {
    const { router, trace, warnings } = setup();
    const after = recorder('after');
    router.tap({
      name: 'broken',
      handle: () => {
        throw new Error('boom');
      },
    });
    router.tap({ name: 'rejects', handle: () => Promise.reject(new Error('later')) });
    router.tap(after);
    for (let i = 0; i < 3; i++) expect(router.route('task.completed', task(`t${i}`))).toBe(true);
    await router.drain();
    expect(trace.events).toHaveLength(3);
    expect(after.events).toHaveLength(3);
    const stats = router.stats();
    expect(stats.taps.broken).toMatchObject({ handled: 3, errors: 3 });
    expect(stats.taps.rejects).toMatchObject({ handled: 3, errors: 3, pending: 0 });
    expect(stats.errors).toBe(0);
    expect(warnings.filter((w) => w.includes('tap "broken"'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('tap "rejects"'))).toHaveLength(1);
  });

  it('stops at unsubscribe, and a name may be tapped again after', () => {
    const { router } = setup();
    const feed = recorder('feed');
    const stop = router.tap(feed, { events: 'task.*' });
    router.route('task.completed', task('t1'));
    expect(() => router.tap(recorder('feed'))).toThrow(/already registered/);
    expect(stop()).toBe(true);
    expect(stop()).toBe(false);
    router.route('task.completed', task('t2'));
    expect(feed.events).toHaveLength(1);
    expect(router.stats().taps).toEqual({});
    const again = recorder('feed');
    router.tap(again);
    router.route('task.completed', task('t3'));
    expect(again.events).toHaveLength(1);
    expect(router.stats().taps.feed?.handled).toBe(1);
  });

  it('reset() zeroes tap counters and keeps the taps', () => {
    const { router } = setup();
    const feed = recorder('feed');
    router.tap(feed, { samplingRate: 0 });
    router.route('task.completed', task('t1'));
    expect(router.stats().taps.feed?.sampledOut).toBe(1);
    router.reset();
    expect(router.stats().taps.feed?.sampledOut).toBe(0);
  });

  it('rejects bad options, naming the field', () => {
    const { router } = setup();
    const feed = recorder('feed');
    const cases: [unknown, RegExp][] = [
      [{ samplingRate: 1.5 }, /options\.samplingRate: expected a number from 0 to 1, received 1\.5/],
      [{ events: 'task..x' }, /options\.events\.0: has an empty segment/],
      [{ events: [] }, /options\.events: expected at least one pattern/],
      [{ samplingKey: '' }, /options\.samplingKey: expected a non-empty payload field name/],
      [{ sampling: 1 }, /options\.sampling: unknown field/],
    ];
    for (const [options, message] of cases) {
      let caught: unknown;
      try {
        router.tap(feed, options as never);
      } catch (error) {
        caught = error;
      }
      expect(isRouterError(caught) && caught.code).toBe('ROUTER_OPTIONS_INVALID');
      expect((caught as Error).message).toMatch(message);
    }
    expect(() => router.tap({ name: 'has space', handle: () => {} })).toThrow(
      /backend: expected a backend plugin/,
    );
    expect(router.stats().taps).toEqual({});
  });
});
