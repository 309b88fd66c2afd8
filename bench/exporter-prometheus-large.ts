/**
 * The 250,000-series scrape of bench/exporter-prometheus.bench.ts (issue #16: "a chunked
 * scrape of 250k series has no synchronous slice over 20 ms"): 5 counters and 5 histograms ×
 * 25,000 label sets, every series changed before each scrape, scraped by the `/metrics`
 * handler as Prometheus would (chunked, gzipped), with the handler's render cache warm.
 *
 * - Each synchronous part of a scrape (collect slice, render slice, gzip hand-over) is timed by
 *   the handler (`onSlice`, wall clock): a slice includes any GC step or descheduling that
 *   falls in it, as an event-loop block would.
 * - The collect's own slices (`collectInSlices`) and `collect()` in one piece, the synchronous
 *   pass it replaces, are measured on the same registry in the same rounds.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createMetricsHandler } from '@tasker/exporter-prometheus';
import { createRegistry } from '@tasker/metrics-native';

const FAMILIES = 5;
const SETS = 25_000;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

export interface LargeScrapeRounds {
  readonly series: number;
  /** Per round: the longest synchronous part of the chunked, gzipped scrape, ms. */
  readonly worstSlice: number[];
  /** Per round: the longest collect slice of `collectInSlices`, ms. */
  readonly worstCollectSlice: number[];
  /** Per round: `collect()` in one piece, ms. */
  readonly wholeCollect: number[];
  /** Per round: the longest GC pause during the chunked scrape, ms. */
  readonly worstGc: number[];
  /** Per round: synchronous parts of the chunked scrape. */
  readonly parts: number[];
  /** Per round: wall time of the whole chunked scrape, ms. */
  readonly scrapeMs: number[];
  readonly gzippedBytes: number;
}

export async function largeScrape(rounds: number): Promise<LargeScrapeRounds> {
  const registry = createRegistry({ defaultSeriesLimit: SETS });
  const labelSets = Array.from({ length: SETS }, (_, i) => ({
    method: METHODS[i % 5] as string,
    route: `/api/v1/resource-${Math.floor(i / 5) % 100}`,
    status: String(200 + Math.floor(i / 500)),
  }));
  const labelNames = ['method', 'route', 'status'];
  const counters = Array.from({ length: FAMILIES }, (_, f) =>
    registry.counter({ name: `large_requests_${f}_total`, help: `Requests ${f}`, labelNames }),
  );
  const histograms = Array.from({ length: FAMILIES }, (_, f) =>
    registry.histogram({ name: `large_duration_${f}_seconds`, help: `Duration ${f}`, labelNames }),
  );
  const counterHandles = counters.flatMap((c) => labelSets.map((l) => c.labels(l)));
  const histogramHandles = histograms.flatMap((h) => labelSets.map((l) => h.labels(l)));
  let tick = 0;
  const update = () => {
    tick++;
    for (const h of counterHandles) h.inc();
    for (let i = 0; i < histogramHandles.length; i++)
      (histogramHandles[i] as (typeof histogramHandles)[number]).observe(((i + tick) % 97) / 10);
  };

  let slices: number[] = [];
  const handler = createMetricsHandler({ registry, sliceMs: 8, onSlice: (ms) => slices.push(ms) });
  const scrape = async () => {
    const response = await handler(
      new Request('http://127.0.0.1/metrics', { headers: { 'accept-encoding': 'gzip' } }),
    );
    return (await response.arrayBuffer()).byteLength;
  };
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });

  update();
  let gzippedBytes = await scrape(); // fills the render cache, as every scrape after the first finds it
  const result = {
    series: FAMILIES * 2 * SETS + 1, // and the handler's error counter
    worstSlice: [] as number[],
    worstCollectSlice: [] as number[],
    wholeCollect: [] as number[],
    worstGc: [] as number[],
    parts: [] as number[],
    scrapeMs: [] as number[],
  };
  for (let r = 0; r < rounds; r++) {
    update();
    slices = [];
    gcPauses.length = 0;
    gcObserver.observe({ entryTypes: ['gc'] });
    const start = performance.now();
    gzippedBytes = await scrape();
    result.scrapeMs.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, 5));
    gcObserver.disconnect();
    result.worstSlice.push(Math.max(...slices));
    result.parts.push(slices.length);
    result.worstGc.push(gcPauses.length === 0 ? 0 : Math.max(...gcPauses));

    update();
    const collectSlices: number[] = [];
    const snapshot = await registry.collectInSlices({ sliceMs: 8, onSlice: (ms) => collectSlices.push(ms) });
    const seen = snapshot.families.reduce((n, f) => n + f.series.length, 0);
    if (seen !== result.series)
      throw new Error(`sliced collect saw ${seen} series, expected ${result.series}`);
    result.worstCollectSlice.push(Math.max(...collectSlices));

    update();
    const wholeStart = performance.now();
    registry.collect();
    result.wholeCollect.push(performance.now() - wholeStart);
  }
  return { ...result, gzippedBytes };
}
