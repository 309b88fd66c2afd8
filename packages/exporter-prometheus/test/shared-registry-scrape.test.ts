/**
 * The exporter serves a registry shared across worker threads from whichever thread runs the
 * server: here a worker serves /metrics while four others count, and this thread scrapes it
 * over HTTP during and after the counting.
 */
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { createSharedRegistry } from '@tasker/metrics-native';
import { afterEach, expect, it } from 'vitest';
import { startTsWorker } from '../../../test-support/src/ts-worker';
import type { ThreadTask } from './support/shared-registry-thread';

const script = fileURLToPath(new URL('./support/shared-registry-thread.ts', import.meta.url));
const workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

function start(task: ThreadTask): Worker {
  const worker = startTsWorker(script, task);
  workers.push(worker);
  return worker;
}

function next<T>(worker: Worker, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: { type: string }) => {
      if (m.type === type) resolve(m as T);
    });
  });
}

/** Sample name and labels → value, from text format 0.0.4. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

it('serves the exact totals of four counting threads from a fifth thread', async () => {
  const registry = createSharedRegistry({
    instruments: [
      { type: 'counter', name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] },
      { type: 'histogram', name: 'job_seconds', help: 'Job time.', buckets: [0.1, 1] },
    ],
  });
  const server = start({ handle: registry.handle, role: 'serve' });
  const { url } = await next<{ url: string }>(server, 'listening');
  const signal = new SharedArrayBuffer(4);
  const counters = Array.from({ length: 4 }, () =>
    start({ handle: registry.handle, role: 'count', start: signal, count: 500_000 }),
  );
  await Promise.all(counters.map((w) => next(w, 'ready')));
  const done = Promise.all(counters.map((w) => next(w, 'done')));
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  Atomics.store(new Int32Array(signal), 0, 1);
  Atomics.notify(new Int32Array(signal), 0);

  // Scrapes while the threads count (at least three): a counter never goes down from one
  // scrape to the next.
  const seen: number[] = [];
  while (!finished || seen.length < 3) {
    const during = samples(await (await fetch(url)).text());
    seen.push((during.get('jobs_total{queue="a"}') ?? 0) + (during.get('jobs_total{queue="b"}') ?? 0));
  }
  await done;
  expect(seen.every((value, i) => i === 0 || value >= (seen[i - 1] as number))).toBe(true);

  const response = await fetch(url);
  expect(response.status).toBe(200);
  const after = samples(await response.text());
  expect(after.get('jobs_total{queue="a"}')).toBe(1_000_000);
  expect(after.get('jobs_total{queue="b"}')).toBe(1_000_000);
  expect(after.get('job_seconds_bucket{le="0.1"}')).toBe(0);
  expect(after.get('job_seconds_bucket{le="1"}')).toBe(1_500_000);
  expect(after.get('job_seconds_bucket{le="+Inf"}')).toBe(2_000_000);
  expect(after.get('job_seconds_count')).toBe(2_000_000);
  expect(after.get('job_seconds_sum')).toBe(500_000 * 2 + 1_500_000 * 0.5);
  // The exporter's own error counter lives in the serving thread: created there, and zero.
  expect(after.get('tasker_metrics_export_errors_total')).toBe(0);
  // The same totals in a scrape of this thread's own view.
  const own = registry.collect().families.find((f) => f.name === 'jobs_total');
  expect(own?.type === 'counter' && own.series.map((s) => s.value)).toEqual([1_000_000, 1_000_000]);

  server.postMessage('stop');
  await next(server, 'stopped');
});
