import { describe, expect, it } from 'vitest';
import type { RoutedEvent } from './backend';
import { createEventRouter } from './event-router';

const task = { taskId: 't1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };

function recorded(options: { now?: () => number } = {}) {
  const events: RoutedEvent[] = [];
  const router = createEventRouter({
    mappings: [{ eventName: 'task.completed', backends: ['rec'] }],
    backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
    ...options,
  });
  return { router, events };
}

/** Spins until Date.now() has moved on by `ms`, so that consecutive events fall in different ms. */
function spinFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: the point is that the wall clock moves while nothing else runs
  }
}

describe("the router's clock", () => {
  it('stamps each event routed without a time with the wall clock, to the millisecond', () => {
    const { router, events } = recorded();
    const bounds: [number, number][] = [];
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      router.route('task.completed', task);
      bounds.push([before, Date.now()]);
      spinFor(2);
    }
    expect(events).toHaveLength(5);
    for (const [i, event] of events.entries()) {
      const [before, after] = bounds[i] as [number, number];
      expect(Number.isInteger(event.timestamp)).toBe(true);
      expect(event.timestamp).toBeGreaterThanOrEqual(before);
      expect(event.timestamp).toBeLessThanOrEqual(after);
    }
    // Every event has its own reading: the clock moved at least 2 ms between them.
    for (let i = 1; i < events.length; i++) {
      expect((events[i]?.timestamp ?? 0) - (events[i - 1]?.timestamp ?? 0)).toBeGreaterThanOrEqual(2);
    }
  });

  it('stamps a tapped event and its mapped delivery with one reading of the wall clock, across a blocked event loop', () => {
    const { router, events } = recorded();
    const tapped: RoutedEvent[] = [];
    router.tap({ name: 'feed', handle: (e) => void tapped.push(e) });
    const bounds: [number, number][] = [];
    // One synchronous burst: nothing else runs between the routes, and the clock moves 3 ms
    // between each two of them.
    for (let i = 0; i < 4; i++) {
      const before = Date.now();
      router.route('task.completed', task);
      bounds.push([before, Date.now()]);
      spinFor(3);
    }
    expect(tapped).toHaveLength(4);
    for (const [i, event] of events.entries()) {
      const [before, after] = bounds[i] as [number, number];
      expect(event.timestamp).toBeGreaterThanOrEqual(before);
      expect(event.timestamp).toBeLessThanOrEqual(after);
      expect(tapped[i]?.timestamp).toBe(event.timestamp);
      expect(tapped[i]?.id).toBe(event.id);
      if (i > 0) expect(event.timestamp - (events[i - 1]?.timestamp ?? 0)).toBeGreaterThanOrEqual(3);
    }
  });

  it('now() reads the same clock, to the millisecond', () => {
    const { router } = recorded();
    const before = Date.now();
    const at = router.now();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });

  it('reads an injected clock once per event without a time, never for one with a time, and follows it when it jumps', () => {
    let reads = 0;
    let wall = 1_000;
    const { router, events } = recorded({
      now: () => {
        reads++;
        return wall;
      },
    });
    router.route('task.completed', task);
    wall = 5_000; // the wall clock is set forward
    router.route('task.completed', task);
    wall = 2_000; // and back
    router.route('task.completed', task);
    router.route('task.completed', task, 42);
    expect(events.map((e) => e.timestamp)).toEqual([1_000, 5_000, 2_000, 42]);
    expect(reads).toBe(3);
  });

  it('lets a publisher read the clock once for all the events of one moment', () => {
    let reads = 0;
    const { router, events } = recorded({
      now: () => {
        reads++;
        return 7_000;
      },
    });
    const at = router.now();
    for (let i = 0; i < 3; i++) router.route('task.completed', task, at);
    expect(reads).toBe(1);
    expect(events.map((e) => e.timestamp)).toEqual([7_000, 7_000, 7_000]);
  });
});
