import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, MetricsSnapshot } from './snapshot';

function setup() {
  let time = 1_000;
  const registry = createRegistry({ now: () => time, warn: () => {}, idleTtlMs: 1_000 });
  const capped = registry.counter({ name: 'capped_total', help: 'C.', labelNames: ['user'], seriesLimit: 2 });
  const plain = registry.gauge({ name: 'plain', help: 'P.' });
  return { registry, capped, plain, tick: (ms: number) => (time += ms) };
}

/** `family name → "label values" → value` of the self-metric families. */
function selfValues(snapshot: MetricsSnapshot): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const f of snapshot.families) {
    if (!f.name.startsWith('tasker_metrics_')) continue;
    out[f.name] = Object.fromEntries(
      (f as CounterFamilySnapshot).series.map((s) => [Object.values(s.labels).join(','), s.value]),
    );
  }
  return out;
}

describe('self-metrics', () => {
  it('are not in a plain collect()', () => {
    const { registry } = setup();
    expect(registry.collect().families.map((f) => f.name)).toEqual(['capped_total', 'plain']);
  });

  it('export each instrument’s folded updates, evicted series and dropped updates, from zero', () => {
    const { registry, capped, plain } = setup();
    const zero = registry.collect({ selfMetrics: true });
    expect(zero.families.map((f) => f.name)).toEqual([
      'capped_total',
      'plain',
      'tasker_metrics_series_folded_total',
      'tasker_metrics_series_evicted_total',
      'tasker_metrics_updates_dropped_total',
    ]);
    expect(selfValues(zero)).toEqual({
      // An unlabelled instrument neither folds nor idles out: only its drops are exported.
      tasker_metrics_series_folded_total: { capped_total: 0 },
      tasker_metrics_series_evicted_total: { capped_total: 0 },
      tasker_metrics_updates_dropped_total: {
        'capped_total,invalid_value': 0,
        'capped_total,invalid_labels': 0,
        'capped_total,invalid_exemplar': 0,
        'plain,invalid_value': 0,
        'plain,invalid_labels': 0,
        'plain,invalid_exemplar': 0,
      },
    });

    for (const user of ['a', 'b', 'c', 'd', 'c']) capped.inc({ user });
    capped.inc({ user: 'a' }, -1);
    capped.inc({ user: 'a' }, Number.NaN);
    capped.inc({ wrong: 'x' } as never);
    capped.inc({ user: 'a' }, 1, { 'bad label': 'x' });
    plain.set(Number.POSITIVE_INFINITY);
    const after = selfValues(registry.collect({ selfMetrics: true }));
    expect(after.tasker_metrics_series_folded_total).toEqual({ capped_total: 3 });
    expect(after.tasker_metrics_updates_dropped_total).toMatchObject({
      'capped_total,invalid_value': 2,
      'capped_total,invalid_labels': 1,
      'capped_total,invalid_exemplar': 1,
      'plain,invalid_value': 1,
    });
  });

  it('count the series this very collect evicted', () => {
    const { registry, capped, tick } = setup();
    capped.inc({ user: 'a' });
    capped.inc({ user: 'b' });
    capped.inc({ user: 'c' }); // folded: the overflow series
    registry.collect();
    tick(2_000);
    const snapshot = registry.collect({ selfMetrics: true });
    expect((snapshot.families[0] as CounterFamilySnapshot).series).toHaveLength(0);
    // Both series and the overflow series.
    expect(selfValues(snapshot).tasker_metrics_series_evicted_total).toEqual({ capped_total: 3 });
  });

  it('are in a sliced collect too, after every family', async () => {
    const { registry, capped } = setup();
    capped.inc({ user: 'a' }, Number.NaN);
    const snapshot = await registry.collectInSlices({ selfMetrics: true, sliceMs: 1e-9 });
    expect(selfValues(snapshot).tasker_metrics_updates_dropped_total?.['capped_total,invalid_value']).toBe(1);
  });

  it('give each instrument series of its own identity, never reused after unregister', () => {
    const { registry } = setup();
    registry.unregister('capped_total');
    registry.counter({ name: 'other_total', help: 'O.', labelNames: ['k'] });
    const folded = registry
      .collect({ selfMetrics: true })
      .families.find((f) => f.name === 'tasker_metrics_series_folded_total') as CounterFamilySnapshot;
    // capped_total was registration 0, plain 1, other_total 2.
    expect(folded.series.map((s) => [s.labels.metric, s.slot, s.generation])).toEqual([
      ['other_total', 2, 0],
    ]);
  });

  it('reserve their names', () => {
    const { registry } = setup();
    expect(() => registry.counter({ name: 'tasker_metrics_series_evicted_total', help: 'X.' })).toThrow(
      expect.objectContaining({ code: 'METRIC_CONFLICT', message: expect.stringContaining('self-metrics') }),
    );
    expect(() => registry.gauge({ name: 'tasker_metrics_updates_dropped', help: 'X.' })).toThrow(
      /self-metrics/,
    );
  });
});
