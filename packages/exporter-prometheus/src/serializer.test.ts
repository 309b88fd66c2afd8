import { createRegistry, type MetricsSnapshot } from '@tasker/metrics-native';
import { describe, expect, it } from 'vitest';
import { createSerializer, serialize } from './serializer';

const T0 = 1_700_000_000_000;

function sampleRegistry() {
  let now = T0;
  const registry = createRegistry({ now: () => now, warn: () => {} });
  const requests = registry.counter({
    name: 'http_requests_total',
    help: 'Requests "served"\nper route \\ code',
    labelNames: ['route', 'code'],
  });
  const duration = registry.histogram({
    name: 'job_duration_seconds',
    help: 'Job duration',
    unit: 'seconds',
    labelNames: ['queue'],
    buckets: [0.1, 1],
  });
  const temperature = registry.gauge({
    name: 'room_temperature_celsius',
    help: 'Temperature',
    unit: 'celsius',
  });
  requests.inc({ route: '/a"b\\c\nd', code: '200' }, 3, { trace_id: 'abc123' });
  now += 250;
  requests.inc({ route: 'ünïcødé', code: '' });
  duration.observe({ queue: 'q' }, 0.05, { trace_id: 'x' });
  duration.observe({ queue: 'q' }, 3);
  temperature.set(-12.5);
  return { registry, requests, duration, temperature, tick: (ms: number) => (now += ms) };
}

const TEXT = `# HELP http_requests_total Requests "served"\\nper route \\\\ code
# TYPE http_requests_total counter
http_requests_total{route="/a\\"b\\\\c\\nd",code="200"} 3
http_requests_total{route="ünïcødé",code=""} 1
# HELP job_duration_seconds Job duration
# TYPE job_duration_seconds histogram
job_duration_seconds_bucket{queue="q",le="0.1"} 1
job_duration_seconds_bucket{queue="q",le="1"} 1
job_duration_seconds_bucket{queue="q",le="+Inf"} 2
job_duration_seconds_count{queue="q"} 2
job_duration_seconds_sum{queue="q"} 3.05
# HELP room_temperature_celsius Temperature
# TYPE room_temperature_celsius gauge
room_temperature_celsius -12.5
`;

const OPENMETRICS = `# TYPE http_requests counter
# HELP http_requests Requests \\"served\\"\\nper route \\\\ code
http_requests_total{route="/a\\"b\\\\c\\nd",code="200"} 3 # {trace_id="abc123"} 3 1700000000
http_requests_created{route="/a\\"b\\\\c\\nd",code="200"} 1700000000
http_requests_total{route="ünïcødé",code=""} 1
http_requests_created{route="ünïcødé",code=""} 1700000000.25
# TYPE job_duration_seconds histogram
# UNIT job_duration_seconds seconds
# HELP job_duration_seconds Job duration
job_duration_seconds_bucket{queue="q",le="0.1"} 1 # {trace_id="x"} 0.05 1700000000.25
job_duration_seconds_bucket{queue="q",le="1"} 1
job_duration_seconds_bucket{queue="q",le="+Inf"} 2
job_duration_seconds_count{queue="q"} 2
job_duration_seconds_sum{queue="q"} 3.05
job_duration_seconds_created{queue="q"} 1700000000.25
# TYPE room_temperature_celsius gauge
# UNIT room_temperature_celsius celsius
# HELP room_temperature_celsius Temperature
room_temperature_celsius -12.5
# EOF
`;

describe('serialize', () => {
  it('writes the text format 0.0.4: HELP and TYPE once per family, escaping, cumulative buckets', () => {
    expect(serialize(sampleRegistry().registry.collect())).toBe(TEXT);
  });

  it('writes OpenMetrics 1.0: _total and _created, # UNIT, exemplars, # EOF', () => {
    expect(serialize(sampleRegistry().registry.collect(), { format: 'openmetrics' })).toBe(OPENMETRICS);
  });

  it('never writes _total_total', () => {
    const out = serialize(sampleRegistry().registry.collect(), { format: 'openmetrics' });
    expect(out).not.toContain('_total_total');
    expect(out).toContain('# TYPE http_requests counter');
  });

  it('writes an empty registry as nothing, or as # EOF in OpenMetrics', () => {
    const empty = createRegistry().collect();
    expect(serialize(empty)).toBe('');
    expect(serialize(empty, { format: 'openmetrics' })).toBe('# EOF\n');
  });

  it('writes the header of a family with no series yet', () => {
    const registry = createRegistry();
    registry.counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['queue'] });
    expect(serialize(registry.collect())).toBe('# HELP jobs_total Jobs\n# TYPE jobs_total counter\n');
  });

  it('writes infinite sums and the overflow series', () => {
    const registry = createRegistry({ warn: () => {} });
    const h = registry.histogram({
      name: 'size_bytes',
      help: 'Sizes',
      labelNames: ['k'],
      buckets: [1],
      seriesLimit: 1,
    });
    h.observe({ k: 'a' }, 0.5);
    h.observe({ k: 'b' }, Number.MAX_VALUE);
    h.observe({ k: 'b' }, Number.MAX_VALUE);
    const text = serialize(registry.collect());
    expect(text).toContain('size_bytes_sum{k="a"} 0.5\n');
    expect(text).toContain('size_bytes_sum{tasker_overflow="true"} +Inf\n');
    expect(text).toContain('size_bytes_bucket{tasker_overflow="true",le="+Inf"} 2\n');
  });
});

describe('createSerializer (cached)', () => {
  it('renders the same bytes as a cold serializer, scrape after scrape, as values change', () => {
    const { registry, requests, duration, tick } = sampleRegistry();
    const serializer = createSerializer();
    for (let i = 0; i < 5; i++) {
      requests.inc({ route: `/r${i}`, code: '500' });
      duration.observe({ queue: 'q' }, i / 3);
      tick(1000);
      const snapshot = registry.collect();
      for (const format of ['text', 'openmetrics'] as const) {
        expect(serializer.serialize(snapshot, { format })).toBe(serialize(snapshot, { format }));
      }
    }
  });

  it('re-renders a family header when its help or unit changes, and forgets removed families', () => {
    const serializer = createSerializer();
    const snapshot = (help: string, unit: string | undefined): MetricsSnapshot => ({
      timestamp: T0,
      families: [
        {
          type: 'gauge',
          name: unit === undefined ? 'depth' : `depth_${unit}`,
          help,
          unit,
          labelNames: [],
          seriesLimit: 1,
          foldedUpdates: 0,
          evictedSeries: 0,
          dropped: { invalidValue: 0, invalidLabels: 0, invalidExemplar: 0 },
          collectErrors: 0,
          series: [{ labels: {}, slot: 0, generation: 0, created: T0, overflow: false, value: 1 }],
        },
      ],
    });
    expect(serializer.serialize(snapshot('Queue depth', undefined))).toContain('# HELP depth Queue depth\n');
    expect(serializer.serialize(snapshot('How deep', undefined))).toContain('# HELP depth How deep\n');
    expect(serializer.serialize(snapshot('How deep', 'items'), { format: 'openmetrics' })).toContain(
      '# UNIT depth_items items\n',
    );
    expect(serializer.cachedFamilies()).toEqual({ text: 1, openmetrics: 1 });
    serializer.serialize({ timestamp: T0, families: [] });
    expect(serializer.cachedFamilies()).toEqual({ text: 0, openmetrics: 1 });
  });

  it('renders in slices that concatenate to the whole, reporting each slice', async () => {
    const registry = createRegistry();
    const c = registry.counter({ name: 'c_total', help: 'c', labelNames: ['i'] });
    const h = registry.histogram({ name: 'h_seconds', help: 'h', labelNames: ['i'] });
    for (let i = 0; i < 1500; i++) {
      c.inc({ i: String(i) }, i);
      h.observe({ i: String(i) }, i / 1000);
    }
    const snapshot = registry.collect();
    const serializer = createSerializer();
    for (const format of ['text', 'openmetrics'] as const) {
      const slices: number[] = [];
      const parts: Uint8Array[] = [];
      // A zero budget ends every slice at its first check: 128 series per chunk.
      for await (const part of serializer.serializeChunks(snapshot, {
        format,
        sliceMs: 0,
        onSlice: (ms) => slices.push(ms),
      })) {
        parts.push(part);
      }
      expect(Buffer.concat(parts).toString('utf8')).toBe(serialize(snapshot, { format }));
      expect(Buffer.concat(parts)).toEqual(Buffer.from(serializer.serializeBytes(snapshot, { format })));
      expect(parts.length).toBe(Math.ceil(3000 / 128));
      expect(slices).toHaveLength(parts.length);
    }
  });

  it('yields to the event loop between slices', async () => {
    const registry = createRegistry();
    const c = registry.counter({ name: 'c_total', help: 'c', labelNames: ['i'] });
    for (let i = 0; i < 1000; i++) c.inc({ i: String(i) });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      let chunks = 0;
      for await (const _ of createSerializer().serializeChunks(registry.collect(), {
        sliceMs: 0,
        checkEvery: 10,
      }))
        chunks++;
      expect(chunks).toBe(100);
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });
});
