/**
 * Rendering a 10,000-series registry (5 counters and 5 histograms × 1,000 label sets, about
 * 75,000 lines): @tasker/exporter-prometheus against prom-client 15.1.3's `registry.metrics()`
 * and OpenTelemetry's reader.collect() + PrometheusSerializer (exporter-prometheus 0.223.0), in
 * one process and one run (issue #4).
 *
 * - Every series changes between renders (each counter series is incremented and each
 *   histogram series observes once, outside the timed part), so no library can reuse a whole
 *   cached output.
 * - Render times are CPU time of one whole scrape: collect, serialize, and encode the text to
 *   UTF-8 bytes as an HTTP response must (which also flattens a string built by appending),
 *   rounds interleaved.
 * - Cold: a fresh registry, rendered for the first time (no cache; fresh code paths warmed by
 *   other registries).
 * - Event-loop blocking: the longest synchronous slice of one scrape, timed directly (our
 *   chunked renderer times each slice; for every library a heartbeat measures the longest gap
 *   between setImmediate callbacks), and `monitorEventLoopDelay` beside an idle baseline.
 * - The same for a 250,000-series registry (issue #16), ours only: exporter-prometheus-large.ts.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createMetricsHandler, createSerializer } from '@tasker/exporter-prometheus';
import { createRegistry } from '@tasker/metrics-native';
import * as prom from 'prom-client';
import { largeScrape } from './exporter-prometheus-large';
import { type CaseResult, environment, measurement, ratio, writeReport } from './harness';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (npx -y pnpm@10.34.9 bench exporter-prometheus)');

const FAMILIES = 5;
const SETS = 1000;
const ROUNDS = 11;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const labelSets = Array.from({ length: SETS }, (_, i) => ({
  method: METHODS[i % 5] as string,
  route: `/api/v1/resource-${Math.floor(i / 5) % 100}`,
  status: String(200 + Math.floor(i / 500)),
}));
const labelNames = ['method', 'route', 'status'] as const;

interface Subject {
  readonly name: string;
  /** Changes every series. */
  update(): void;
  /** One scrape: collect + serialize, to text (the incumbents) or UTF-8 bytes (ours). */
  render(): Promise<string | Uint8Array>;
}

function ours(): Subject & {
  registry: ReturnType<typeof createRegistry>;
  serializer: ReturnType<typeof createSerializer>;
} {
  const registry = createRegistry({ defaultSeriesLimit: 5000 });
  const counters = Array.from({ length: FAMILIES }, (_, f) =>
    registry.counter({
      name: `bench_requests_${f}_total`,
      help: `Requests ${f}`,
      labelNames: [...labelNames],
    }),
  );
  const histograms = Array.from({ length: FAMILIES }, (_, f) =>
    registry.histogram({
      name: `bench_duration_${f}_seconds`,
      help: `Duration ${f}`,
      labelNames: [...labelNames],
    }),
  );
  const counterHandles = counters.flatMap((c) => labelSets.map((l) => c.labels(l)));
  const histogramHandles = histograms.flatMap((h) => labelSets.map((l) => h.labels(l)));
  const serializer = createSerializer();
  let tick = 0;
  return {
    name: 'tasker',
    registry,
    serializer,
    update() {
      tick++;
      for (const h of counterHandles) h.inc();
      for (let i = 0; i < histogramHandles.length; i++)
        (histogramHandles[i] as (typeof histogramHandles)[number]).observe(((i + tick) % 97) / 10);
    },
    async render() {
      return serializer.serializeBytes(registry.collect(), { format: 'text' });
    },
  };
}

function promClient(): Subject {
  const registry = new prom.Registry();
  const counters = Array.from(
    { length: FAMILIES },
    (_, f) =>
      new prom.Counter({
        name: `bench_requests_${f}_total`,
        help: `Requests ${f}`,
        labelNames,
        registers: [registry],
      }),
  );
  const histograms = Array.from(
    { length: FAMILIES },
    (_, f) =>
      new prom.Histogram({
        name: `bench_duration_${f}_seconds`,
        help: `Duration ${f}`,
        labelNames,
        registers: [registry],
      }),
  );
  const counterChildren = counters.flatMap((c) => labelSets.map((l) => c.labels(l)));
  const histogramChildren = histograms.flatMap((h) => labelSets.map((l) => h.labels(l)));
  let tick = 0;
  return {
    name: 'prom-client',
    update() {
      tick++;
      for (const c of counterChildren) c.inc();
      for (let i = 0; i < histogramChildren.length; i++)
        (histogramChildren[i] as (typeof histogramChildren)[number]).observe(((i + tick) % 97) / 10);
    },
    render: () => registry.metrics(),
  };
}

class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function openTelemetry(): Subject {
  const reader = new PullReader({ cardinalitySelector: () => 5000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('bench');
  const counters = Array.from({ length: FAMILIES }, (_, f) =>
    meter.createCounter(`bench_requests_${f}`, { description: `Requests ${f}` }),
  );
  const histograms = Array.from({ length: FAMILIES }, (_, f) =>
    meter.createHistogram(`bench_duration_${f}_seconds`, {
      description: `Duration ${f}`,
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
  );
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  let tick = 0;
  return {
    name: 'OpenTelemetry',
    update() {
      tick++;
      for (const c of counters) for (const l of labelSets) c.add(1, l);
      let i = 0;
      for (const h of histograms) for (const l of labelSets) h.record(((i++ + tick) % 97) / 10, l);
    },
    async render() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

let encodedBytes = 0;
/** Encodes a render as an HTTP body must; ours is bytes already. */
function encoded(render: string | Uint8Array): number {
  return typeof render === 'string' ? Buffer.from(render, 'utf8').length : render.length;
}

async function cpuMs(body: () => Promise<string | Uint8Array>): Promise<number> {
  const start = process.cpuUsage();
  encodedBytes += encoded(await body());
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The longest gap between setImmediate callbacks while `body` runs: the worst block. */
async function longestBlockMs(body: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  let running = true;
  const beat = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    if (running) setImmediate(beat);
  };
  setImmediate(beat);
  await body();
  running = false;
  beat();
  return worst;
}

/**
 * The largest delay `monitorEventLoopDelay` saw while `body` ran. It samples with a timer, so a
 * block is recorded only when that timer fires after it: wait a few ms before reading.
 */
async function loopDelayMaxMs(body: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  // Its first timer tick has no predecessor to measure a delay against: let it tick first.
  await new Promise((resolve) => setTimeout(resolve, 10));
  await body();
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.disable();
  return histogram.max / 1e6;
}

const lines = (render: string | Uint8Array) =>
  (typeof render === 'string' ? render : Buffer.from(render).toString('utf8'))
    .split('\n')
    .filter((l) => l.length > 0).length;

async function main(): Promise<void> {
  const subjects = [ours(), promClient(), openTelemetry()];
  for (const s of subjects) s.update();
  const sizes = await Promise.all(subjects.map(async (s) => lines(await s.render())));
  console.log('lines per render:', Object.fromEntries(subjects.map((s, i) => [s.name, sizes[i]])));

  // What the render cache costs: heap + array buffers after a first render of a fresh
  // registry, minus before it, per series (the registry's own memory is #3's figure).
  const cacheBytes: number[] = [];
  for (let r = 0; r < 3; r++) {
    const fresh = ours();
    fresh.update();
    const snapshot = fresh.registry.collect();
    gc?.();
    gc?.();
    const before = process.memoryUsage();
    fresh.serializer.serializeBytes(snapshot);
    gc?.();
    gc?.();
    const after = process.memoryUsage();
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    // The last render's output buffer is not held: serializeBytes' result was dropped.
    cacheBytes.push(Math.round(grown / (FAMILIES * SETS * 2)));
    if (fresh.serializer.cachedFamilies().text !== FAMILIES * 2) throw new Error('cache not filled');
  }

  // Cold first render: fresh registries (the code paths are warm from the ones above).
  const cold: Record<string, number> = {};
  for (const make of [ours, promClient, openTelemetry]) {
    const s = make();
    s.update();
    gc?.();
    cold[s.name] = await cpuMs(() => s.render());
  }

  // Warm renders, every series changed before each, rounds interleaved.
  const raw: Record<string, number[]> = { tasker: [], 'prom-client': [], OpenTelemetry: [] };
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (let k = 0; k < subjects.length; k++) {
      const s = subjects[(r + k) % subjects.length] as Subject;
      s.update();
      const ms = await cpuMs(() => s.render());
      if (r >= 2) raw[s.name]?.push(ms);
    }
  }

  // Event-loop blocking during one scrape.
  const tasker = subjects[0] as ReturnType<typeof ours>;
  const slices: number[] = [];
  const chunkedRounds: number[] = [];
  const worstGc: number[] = [];
  let gzippedBytes = 0;
  const blocks: Record<string, number[]> = {
    'tasker (chunked)': [],
    'tasker (one piece)': [],
    'prom-client': [],
    OpenTelemetry: [],
  };
  const delays: Record<string, number[]> = {
    idle: [],
    'tasker (chunked)': [],
    'prom-client': [],
    OpenTelemetry: [],
  };
  // Our scrape as the /metrics handler runs it: chunked render, gzip fed as parts arrive.
  const handler = createMetricsHandler({
    registry: tasker.registry,
    serializer: tasker.serializer,
    sliceMs: 8,
    onSlice: (ms) => {
      slices.push(ms);
      worstSlice = Math.max(worstSlice, ms);
    },
  });
  let worstSlice = 0;
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  for (let r = 0; r < 5; r++) {
    tasker.update();
    worstSlice = 0;
    gcPauses.length = 0;
    gcObserver.observe({ entryTypes: ['gc'] });
    blocks['tasker (chunked)']?.push(
      await longestBlockMs(async () => {
        const response = await handler(
          new Request('http://127.0.0.1/metrics', { headers: { 'accept-encoding': 'gzip' } }),
        );
        gzippedBytes = (await response.arrayBuffer()).byteLength;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    gcObserver.disconnect();
    worstGc.push(gcPauses.length === 0 ? 0 : Math.max(...gcPauses));
    chunkedRounds.push(worstSlice);
    tasker.update();
    blocks['tasker (one piece)']?.push(await longestBlockMs(() => tasker.render()));
    for (const s of subjects.slice(1)) {
      s.update();
      blocks[s.name]?.push(await longestBlockMs(() => s.render()));
    }
    delays.idle?.push(await loopDelayMaxMs(() => new Promise((resolve) => setTimeout(resolve, 300))));
    tasker.update();
    delays['tasker (chunked)']?.push(
      await loopDelayMaxMs(async () => {
        await (
          await handler(new Request('http://127.0.0.1/metrics', { headers: { 'accept-encoding': 'gzip' } }))
        ).arrayBuffer();
      }),
    );
    for (const s of subjects.slice(1)) {
      s.update();
      delays[s.name]?.push(await loopDelayMaxMs(() => s.render()));
    }
  }

  // The 250k-series scrape runs last: its registry and render cache are large.
  const large = await largeScrape(5);

  const asCase = (name: string, ms: number[]): CaseResult => {
    const sorted = [...ms].sort((a, b) => a - b);
    const ns = ms.map((v) => Math.round(v * 1e6));
    return {
      name,
      roundsNsPerOp: ns,
      medianNsPerOp: Math.round((sorted[sorted.length >> 1] as number) * 1e6),
      minNsPerOp: Math.min(...ns),
    };
  };
  const cases = [
    asCase('tasker: collect + serialize (text, to bytes)', raw.tasker as number[]),
    asCase('prom-client: registry.metrics() + encode', raw['prom-client'] as number[]),
    asCase('OpenTelemetry: reader.collect() + PrometheusSerializer + encode', raw.OpenTelemetry as number[]),
  ];
  const [t, p, o] = cases.map((c) => c.name) as [string, string, string];

  writeReport({
    subject: 'exporter-prometheus',
    description: `Rendering ${FAMILIES} counters and ${FAMILIES} histograms × ${SETS} label sets (${sizes[0]} lines for ours) after every series changed; CPU time of one whole scrape, rounds interleaved.`,
    groups: [
      {
        name: 'one scrape of 10,000 series (ns per scrape)',
        options: { iterations: 1, rounds: ROUNDS },
        cases,
      },
    ],
    ratios: [
      ratio(cases, 'prom-client / tasker (render, 10k series)', p, t, 3, 'atLeast'),
      ratio(cases, 'OpenTelemetry / tasker (render, 10k series)', o, t, 15, 'atLeast'),
    ],
    measurements: [
      measurement(
        'longest synchronous slice of a chunked, gzipped scrape (collect, render slices, gzip hand-overs)',
        'ms',
        chunkedRounds,
        20,
      ),
      measurement(
        'longest setImmediate gap, tasker chunked + gzipped scrape',
        'ms',
        blocks['tasker (chunked)'] as number[],
      ),
      measurement('longest GC pause during that scrape', 'ms', worstGc),
      measurement('render cache, per series (text format)', 'bytes', cacheBytes),
      measurement(
        'longest setImmediate gap, tasker unchunked scrape',
        'ms',
        blocks['tasker (one piece)'] as number[],
      ),
      measurement('longest setImmediate gap, prom-client scrape', 'ms', blocks['prom-client'] as number[]),
      measurement('longest setImmediate gap, OpenTelemetry scrape', 'ms', blocks.OpenTelemetry as number[]),
      measurement(
        'event-loop delay max (monitorEventLoopDelay), idle baseline',
        'ms',
        delays.idle as number[],
      ),
      measurement(
        'event-loop delay max (monitorEventLoopDelay), tasker chunked scrape',
        'ms',
        delays['tasker (chunked)'] as number[],
      ),
      measurement(
        'event-loop delay max (monitorEventLoopDelay), prom-client scrape',
        'ms',
        delays['prom-client'] as number[],
      ),
      measurement(
        'event-loop delay max (monitorEventLoopDelay), OpenTelemetry scrape',
        'ms',
        delays.OpenTelemetry as number[],
      ),
      measurement('cold first render, tasker', 'ms', [cold.tasker as number]),
      measurement('cold first render, prom-client', 'ms', [cold['prom-client'] as number]),
      measurement('cold first render, OpenTelemetry', 'ms', [cold.OpenTelemetry as number]),
      measurement('synchronous parts per chunked scrape', 'parts', [slices.length / 5]),
      measurement('gzipped body of the 10k-series scrape', 'bytes', [gzippedBytes]),
      measurement(
        `longest synchronous slice of a chunked, gzipped scrape of ${large.series} series (collect slices, render slices, gzip hand-overs)`,
        'ms',
        large.worstSlice,
        20,
      ),
      measurement(`longest collectInSlices() slice, ${large.series} series`, 'ms', large.worstCollectSlice),
      measurement(
        `collect() in one piece, ${large.series} series (what the slices replace)`,
        'ms',
        large.wholeCollect,
      ),
      measurement(`longest GC pause during the ${large.series}-series scrape`, 'ms', large.worstGc),
      measurement(`synchronous parts per ${large.series}-series scrape`, 'parts', large.parts),
      measurement(`wall time of the ${large.series}-series scrape`, 'ms', large.scrapeMs),
      measurement(`gzipped body of the ${large.series}-series scrape`, 'bytes', [large.gzippedBytes]),
    ],
    notes: [
      `lines per render: ${subjects.map((s, i) => `${s.name} ${sizes[i]}`).join(', ')} (OpenTelemetry is configured without target_info and scope labels).`,
      `environment at start: ${JSON.stringify(environment().loadAverage)} load average; ${encodedBytes} bytes encoded in all.`,
      `${large.series}-series scrape: 5 counters and 5 histograms × 25,000 label sets, every series changed before each of 5 rounds, after one scrape that filled the render cache; slices are wall-clock times from the handler's onSlice, so descheduling and GC steps that fall in a slice count. Load average at the end of the run: ${JSON.stringify(environment().loadAverage)}.`,
    ],
  });
}

await main();
