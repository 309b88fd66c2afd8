import { describe, expect, it } from 'vitest';
import type { RoutedEvent } from './backend';
import { keepsKey } from './consistent-sampling';
import { createEventRouter } from './event-router';

/** mulberry32: a small seeded PRNG, so each run sees the same stream. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampledRouter(samplingRate: number, random: () => number, samplingKey?: string) {
  const kept: RoutedEvent[] = [];
  const router = createEventRouter({
    mappings: [{ eventName: 'database.query_executed', backends: ['metrics'], samplingRate, samplingKey }],
    backends: { metrics: { name: 'metrics', handle: (e) => void kept.push(e) } },
    random,
  });
  return { router, kept };
}

const N = 100_000;
const query = { operation: 'select', durationMs: 1 };

describe('per-event sampling', () => {
  for (const rate of [0.01, 0.1, 0.5, 0.9]) {
    it(`keeps ${rate} of 100k events within 4 standard deviations, for five seeds`, () => {
      const sd = Math.sqrt(N * rate * (1 - rate));
      for (const seed of [1, 2, 3, 4, 5]) {
        const { router, kept } = sampledRouter(rate, seeded(seed));
        for (let i = 0; i < N; i++) router.route('database.query_executed', query);
        expect(Math.abs(kept.length - N * rate)).toBeLessThanOrEqual(4 * sd);
        expect(router.stats().sampledOut).toBe(N - kept.length);
        expect(kept.every((e) => e.samplingRate === rate)).toBe(true);
      }
    });
  }

  it('keeps none at rate 0 and all at rate 1, exactly', () => {
    const zero = sampledRouter(0, seeded(9));
    const one = sampledRouter(1, seeded(9));
    for (let i = 0; i < N; i++) {
      zero.router.route('database.query_executed', query);
      one.router.route('database.query_executed', query);
    }
    expect(zero.kept).toHaveLength(0);
    expect(one.kept).toHaveLength(N);
    expect(one.kept[0]?.samplingRate).toBe(1);
  });

  it('does not consult the random source at rate 1', () => {
    let calls = 0;
    const { router } = sampledRouter(1, () => {
      calls++;
      return 0.5;
    });
    router.route('database.query_executed', query);
    expect(calls).toBe(0);
  });

  it('makes one decision per event, whatever the number of backends', () => {
    let calls = 0;
    const seen: Record<string, number> = { a: 0, b: 0, c: 0 };
    const router = createEventRouter({
      mappings: [{ eventName: 'database.query_executed', backends: ['a', 'b', 'c'], samplingRate: 0.5 }],
      backends: Object.fromEntries(
        ['a', 'b', 'c'].map((name) => [
          name,
          {
            name,
            handle: () => {
              seen[name] = (seen[name] ?? 0) + 1;
            },
          },
        ]),
      ),
      random: () => {
        calls++;
        return calls % 2 === 0 ? 0.1 : 0.9;
      },
    });
    for (let i = 0; i < 100; i++) router.route('database.query_executed', query);
    expect(calls).toBe(100);
    expect(seen).toEqual({ a: 50, b: 50, c: 50 });
  });

  it('lets critical events bypass sampling, carrying rate 1', () => {
    const kept: RoutedEvent[] = [];
    const router = createEventRouter({
      mappings: [
        { eventName: 'memory.spike_detected', backends: ['metrics'], samplingRate: 0, priority: 'critical' },
      ],
      backends: { metrics: { name: 'metrics', handle: (e) => void kept.push(e) } },
    });
    for (let i = 0; i < 10; i++)
      router.route('memory.spike_detected', { heapUsedBytes: 1, thresholdBytes: 0 });
    expect(kept).toHaveLength(10);
    expect(kept.every((e) => e.samplingRate === 1)).toBe(true);
  });
});

describe('consistent sampling by a payload key', () => {
  it('keeps or drops every event of one task together', () => {
    const { router, kept } = sampledRouter(0.3, seeded(1), 'taskId');
    for (let round = 0; round < 5; round++) {
      for (let t = 0; t < 2000; t++)
        router.route('database.query_executed', { ...query, taskId: `task-${t}` });
    }
    const perTask = new Map<string, number>();
    for (const e of kept) {
      const id = (e.payload as { taskId: string }).taskId;
      perTask.set(id, (perTask.get(id) ?? 0) + 1);
    }
    expect([...perTask.values()].every((n) => n === 5)).toBe(true);
    for (const id of perTask.keys()) expect(keepsKey(id, 0.3)).toBe(true);
  });

  it('agrees between two routers (two processes) with different random sources', () => {
    const a = sampledRouter(0.2, seeded(1), 'taskId');
    const b = sampledRouter(0.2, seeded(999), 'taskId');
    for (let t = 0; t < 5000; t++) {
      a.router.route('database.query_executed', { ...query, taskId: `t-${t}` });
      b.router.route('database.query_executed', { ...query, taskId: `t-${t}` });
    }
    expect(a.kept.map((e) => (e.payload as { taskId: string }).taskId)).toEqual(
      b.kept.map((e) => (e.payload as { taskId: string }).taskId),
    );
  });

  it('keeps about rate × keys over 100k distinct keys, within 4 standard deviations', () => {
    for (const rate of [0.01, 0.1, 0.5, 0.9]) {
      const { router, kept } = sampledRouter(rate, seeded(1), 'taskId');
      for (let t = 0; t < N; t++) router.route('database.query_executed', { ...query, taskId: `task-${t}` });
      expect(Math.abs(kept.length - N * rate)).toBeLessThanOrEqual(4 * Math.sqrt(N * rate * (1 - rate)));
    }
  });

  it('falls back to per-event sampling when the payload lacks the key', () => {
    let calls = 0;
    const { router, kept } = sampledRouter(0.5, () => (calls++ % 2 === 0 ? 0.25 : 0.75), 'taskId');
    for (let i = 0; i < 10; i++) router.route('database.query_executed', query);
    expect(calls).toBe(10);
    expect(kept).toHaveLength(5);
  });

  it('hashes numeric keys by their string form', () => {
    const { router, kept } = sampledRouter(0.5, seeded(1), 'taskId');
    for (let t = 0; t < 1000; t++) router.route('database.query_executed', { ...query, taskId: t } as never);
    const expected = Array.from({ length: 1000 }, (_, t) => t).filter((t) => keepsKey(String(t), 0.5));
    expect(kept.map((e) => (e.payload as { taskId: number }).taskId)).toEqual(expected);
  });
});

describe('keeps(): the routing decision asked ahead', () => {
  it('answers what route() then does, for every key, backend and mapping change', () => {
    const kept: string[] = [];
    const router = createEventRouter({
      mappings: [
        {
          eventName: 'task.completed',
          backends: ['trace', 'metrics'],
          samplingRate: 0.5,
          samplingKey: 'taskId',
        },
      ],
      backends: {
        trace: { name: 'trace', handle: (e) => void kept.push((e.payload as { taskId: string }).taskId) },
      },
    });
    const keys = Array.from({ length: 2000 }, (_, i) => `task-${i}`);
    const asked = keys.filter((k) => router.keeps('task.completed', 'trace', k));
    for (const taskId of keys) router.route('task.completed', { taskId } as never);
    expect(asked).toEqual(kept);
    expect(asked.length).toBeGreaterThan(900);
    expect(asked.length).toBeLessThan(1100);
    // Asking counts nothing.
    expect(router.stats().sampledOut).toBe(keys.length - kept.length);
    // A backend the mapping does not name, an event with no mapping, an unknown event: never.
    expect(keys.some((k) => router.keeps('task.completed', 'logs', k))).toBe(false);
    expect(router.keeps('task.failed', 'trace', 'task-1')).toBe(false);
    expect(router.keeps('no.such_event', 'trace', 'task-1')).toBe(false);
    // The answer follows the mappings as they change: rate 1, critical priority, disabled.
    router.map('task.completed', { backends: ['trace'] });
    expect(keys.every((k) => router.keeps('task.completed', 'trace', k))).toBe(true);
    router.map('task.completed', { backends: ['trace'], samplingRate: 0.1, priority: 'critical' });
    expect(keys.every((k) => router.keeps('task.completed', 'trace', k))).toBe(true);
    router.map('task.completed', { backends: ['trace'], enabled: false });
    expect(keys.some((k) => router.keeps('task.completed', 'trace', k))).toBe(false);
  });
});
