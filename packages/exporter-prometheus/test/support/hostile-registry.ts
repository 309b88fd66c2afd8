import { createRegistry, type Registry } from '@tasker/metrics-native';

/**
 * A registry that exercises everything the formats must escape or express: label values with
 * quotes, backslashes, newlines, unicode and empty strings; HELP texts with the same; a unit;
 * exemplars; histograms; +Inf sums.
 */
export function hostileRegistry(now: () => number = Date.now): Registry {
  const registry = createRegistry({ now, warn: () => {} });
  const requests = registry.counter({
    name: 'http_requests_total',
    help: 'Requests "served" \\ by route\nand status',
    labelNames: ['route', 'status'],
  });
  const values = ['plain', 'say "hi"', 'back\\slash', 'two\nlines', 'ünïcødé ✓ 日本', '', '\\"\n', '{}=,'];
  values.forEach((route, i) => {
    requests.inc({ route, status: String(200 + i) }, i + 1, { trace_id: `trace-${i}` });
  });
  const duration = registry.histogram({
    name: 'job_duration_seconds',
    help: 'Job duration',
    unit: 'seconds',
    labelNames: ['queue'],
    buckets: [0.1, 0.25, 1],
  });
  for (let i = 0; i < 10; i++)
    duration.observe({ queue: 'mail "fast"' }, 0.2, i === 0 ? { trace_id: 'slow-one' } : undefined);
  duration.observe({ queue: '' }, 5);
  const depth = registry.gauge({ name: 'queue_depth', help: 'Items waiting', labelNames: ['queue'] });
  depth.set({ queue: 'mail "fast"' }, 3);
  depth.set({ queue: 'ünïcødé' }, -1.5);
  registry.counter({ name: 'jobs_processed_total', help: 'Jobs processed' }).inc(7);
  return registry;
}
