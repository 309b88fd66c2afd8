/**
 * A shared registry across real `worker_threads`: every worker attaches to the buffer of the
 * registry made here, they all update at once (released together by one `Atomics.notify`), and
 * one scrape in this thread must see exact totals.
 */
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTsWorker } from '../../../test-support/src/ts-worker';
import {
  type CounterFamilySnapshot,
  createSharedRegistry,
  type GaugeFamilySnapshot,
  type HistogramFamilySnapshot,
  type MetricsSnapshot,
  type SharedRegistry,
} from '../src/index';
import type { WorkerTask } from './support/shared-registry-worker';

const script = fileURLToPath(new URL('./support/shared-registry-worker.ts', import.meta.url));
/** Four workers for the whole file: starting a TypeScript worker takes most of a second. */
const workers: Worker[] = [];

function nextMessage<T extends { type: string }>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      if (m.type !== type) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(m);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
}

beforeAll(async () => {
  for (let i = 0; i < 4; i++) workers.push(startTsWorker(script, undefined));
  await Promise.all(workers.map((w) => nextMessage(w, 'started')));
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function declare(seriesLimit = 2000): SharedRegistry {
  return createSharedRegistry({
    instruments: [
      { type: 'counter', name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'], seriesLimit },
      { type: 'counter', name: 'ticks_total', help: 'Ticks.' },
      { type: 'gauge', name: 'in_flight', help: 'In flight.' },
      {
        type: 'histogram',
        name: 'latency_seconds',
        help: 'Latency.',
        labelNames: ['route'],
        buckets: [0.1, 1, 10],
      },
    ],
    maxThreads: 8,
  });
}

/** Sends one task to each worker, releases them together, and resolves with their warnings once all are done. */
async function runWorkers(
  registry: SharedRegistry,
  tasks: readonly Omit<WorkerTask, 'handle' | 'start'>[],
): Promise<string[]> {
  const start = new SharedArrayBuffer(4);
  const ready = tasks.map((task, i) => {
    const worker = workers[i] as Worker;
    const answer = nextMessage<{ type: string; lane: number }>(worker, 'ready');
    worker.postMessage({ ...task, handle: registry.handle, start });
    return answer;
  });
  const lanes = (await Promise.all(ready)).map((r) => r.lane);
  // Each thread holds a lane of its own, none the creating thread's.
  expect(new Set([registry.lane, ...lanes]).size).toBe(tasks.length + 1);
  const done = tasks.map((_, i) =>
    nextMessage<{ type: string; warnings: string[] }>(workers[i] as Worker, 'done'),
  );
  Atomics.store(new Int32Array(start), 0, 1);
  Atomics.notify(new Int32Array(start), 0);
  return (await Promise.all(done)).flatMap((d) => d.warnings);
}

function family<T>(snapshot: MetricsSnapshot, name: string): T {
  const found = snapshot.families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no family ${name}`);
  return found as T;
}

describe('a shared registry across worker threads', () => {
  it('4 worker threads × 1M increments each give exactly 4M in one scrape', async () => {
    const registry = declare();
    const warnings = await runWorkers(
      registry,
      Array.from({ length: 4 }, () => ({ task: 'increments' as const, count: 1_000_000 })),
    );
    const snapshot = registry.collect();
    const jobs = family<CounterFamilySnapshot>(snapshot, 'jobs_total');
    expect(jobs.series.map((s) => [s.labels, s.value])).toEqual([[{ queue: 'default' }, 4_000_000]]);
    expect(family<CounterFamilySnapshot>(snapshot, 'ticks_total').series[0]?.value).toBe(4_000_000);
    expect(warnings).toEqual([]);
  });

  it('gauge increments from 4 threads at once are all kept', async () => {
    const registry = declare();
    await runWorkers(
      registry,
      Array.from({ length: 4 }, () => ({ task: 'gauge' as const, count: 250_000 })),
    );
    expect(family<GaugeFamilySnapshot>(registry.collect(), 'in_flight').series[0]?.value).toBe(1_000_000);
  });

  it('creates each label set once when threads create the same series at the same time', async () => {
    const registry = declare();
    const same = Array.from({ length: 600 }, (_, i) => `s${i}`);
    const rotated = Array.from({ length: 200 }, (_, i) => `r${i}`);
    const tasks = Array.from({ length: 4 }, (_, w) => ({
      task: 'series' as const,
      count: 5,
      // All workers race through the same label sets in the same order, then meet others in
      // another order each, then make label sets of their own.
      queues: [
        ...same,
        ...rotated.slice(w * 50),
        ...rotated.slice(0, w * 50),
        ...Array.from({ length: 50 }, (_, i) => `w${w}-${i}`),
      ],
    }));
    await runWorkers(registry, tasks);
    const jobs = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    const values = new Map(jobs.series.map((s) => [s.labels.queue, s.value]));
    expect(values.size).toBe(1000);
    expect(jobs.series).toHaveLength(1000);
    for (const queue of [...same, ...rotated]) expect(values.get(queue)).toBe(20);
    for (let w = 0; w < 4; w++) expect(values.get(`w${w}-7`)).toBe(5);
    expect(jobs.foldedUpdates).toBe(0);
    expect(new Set(jobs.series.map((s) => s.slot)).size).toBe(1000);
  });

  it('settles two threads creating the same label set at the same instant', async () => {
    const registry = declare();
    const queues = Array.from({ length: 1000 }, (_, i) => `race${i}`);
    const barrier = new SharedArrayBuffer(8);
    await runWorkers(
      registry,
      Array.from({ length: 2 }, () => ({ task: 'race' as const, count: 1, queues, barrier, racers: 2 })),
    );
    const jobs = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    expect(jobs.series).toHaveLength(1000);
    expect(jobs.series.every((s) => s.value === 2)).toBe(true);
  });

  it('keeps the series limit across threads and folds the rest, counted', async () => {
    const registry = declare(50);
    const tasks = Array.from({ length: 4 }, (_, w) => ({
      task: 'series' as const,
      count: 10,
      queues: Array.from({ length: 40 }, (_, i) => `w${w}-${i}`),
    }));
    const warnings = await runWorkers(registry, tasks);
    const jobs = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    const own = jobs.series.filter((s) => !s.overflow);
    const overflow = jobs.series.filter((s) => s.overflow);
    expect(own).toHaveLength(50);
    expect(overflow).toHaveLength(1);
    // 160 label sets × 10 updates: 50 series kept each of theirs, the other 110 folded.
    expect(own.every((s) => s.value === 10)).toBe(true);
    expect(overflow[0]?.value).toBe(1100);
    expect(jobs.foldedUpdates).toBe(1100);
    // Each thread that folded warned once.
    expect(warnings.filter((w) => w.includes('series limit of 50')).length).toBeLessThanOrEqual(4);
    expect(warnings.length).toBeGreaterThan(0);
  });

  it('adds histogram buckets, count and sum of every thread exactly', async () => {
    const registry = declare();
    await runWorkers(
      registry,
      Array.from({ length: 4 }, () => ({ task: 'observe' as const, count: 400_000 })),
    );
    const latency = family<HistogramFamilySnapshot>(registry.collect(), 'latency_seconds');
    const series = latency.series[0];
    // Per worker, of each 4 observations: 0.5 twice, 2 once, 20 once.
    expect(series?.counts).toEqual([0, 800_000, 1_200_000, 1_600_000]);
    expect(series?.count).toBe(1_600_000);
    expect(series?.sum).toBe(4 * 100_000 * 23);
  });
});
