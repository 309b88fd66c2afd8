import { describe, expect, it } from 'vitest';
import { ClusterMerge, type GaugeMergeMode, type ProcessAnswer } from './cluster-merge';
import { fillIn, leaveOutKnown, toWire } from './cluster-wire';
import { createRegistry, type Registry } from './registry';
import type { MetricFamilySnapshot, MetricsSnapshot } from './snapshot';

function merger(gaugeModes: Record<string, GaugeMergeMode> = {}, warnings: string[] = []): ClusterMerge {
  return new ClusterMerge({ gaugeModes, defaultGaugeMode: 'sum', warn: (m) => warnings.push(m) });
}

function answer(key: string, pid: number, registry: Registry): ProcessAnswer {
  return { key, pid, snapshot: toWire(registry.collect()) };
}

function family(snapshot: MetricsSnapshot, name: string): MetricFamilySnapshot {
  const found = snapshot.families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no family ${name}`);
  return found;
}

function values(snapshot: MetricsSnapshot, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of family(snapshot, name).series) {
    out[JSON.stringify(s.labels)] = 'value' in s ? s.value : s.count;
  }
  return out;
}

function workers(n: number): Registry[] {
  return Array.from({ length: n }, () => createRegistry({ now: () => 1000 }));
}

describe('ClusterMerge', () => {
  it('adds counters and histograms across processes, series by label set', () => {
    const regs = workers(3);
    regs.forEach((r, i) => {
      const c = r.counter({ name: 'jobs_total', help: 'h', labelNames: ['queue'] });
      c.inc({ queue: 'a' }, i + 1);
      if (i === 2) c.inc({ queue: 'b' }, 10);
      r.histogram({ name: 'took_seconds', help: 'h', buckets: [1, 2] }).observe(i === 0 ? 0.5 : 1.5);
    });
    const merged = merger().merge(
      regs.map((r, i) => answer(`w${i}`, 100 + i, r)),
      5,
    );
    expect(values(merged, 'jobs_total')).toEqual({ '{"queue":"a"}': 6, '{"queue":"b"}': 10 });
    const h = family(merged, 'took_seconds');
    expect(h.type).toBe('histogram');
    const series = h.series[0] as { counts: readonly number[]; count: number; sum: number };
    expect(series.counts).toEqual([1, 3, 3]);
    expect(series.count).toBe(3);
    expect(series.sum).toBe(3.5);
    expect(merged.timestamp).toBe(5);
  });

  it('merges gauges by their mode: sum by default, min, max, last and per pid', () => {
    const regs = workers(3);
    const names = ['g_sum', 'g_min', 'g_max', 'g_last', 'g_pid'];
    regs.forEach((r, i) => {
      for (const name of names) r.gauge({ name, help: 'h' }).set([5, 2, 9][i] as number);
    });
    const merged = merger({ g_min: 'min', g_max: 'max', g_last: 'last', g_pid: 'pid' }).merge(
      regs.map((r, i) => answer(`w${i}`, 100 + i, r)),
      0,
    );
    expect(values(merged, 'g_sum')).toEqual({ '{}': 16 });
    expect(values(merged, 'g_min')).toEqual({ '{}': 2 });
    expect(values(merged, 'g_max')).toEqual({ '{}': 9 });
    expect(values(merged, 'g_last')).toEqual({ '{}': 9 });
    expect(values(merged, 'g_pid')).toEqual({ '{"pid":"100"}': 5, '{"pid":"101"}': 2, '{"pid":"102"}': 9 });
    expect(family(merged, 'g_pid').labelNames).toEqual(['pid']);
  });

  it("keeps a departed process's counters and drops its gauges, so merged counters never decrease", () => {
    const [a, b, c] = workers(3) as [Registry, Registry, Registry];
    for (const r of [a, b, c]) {
      r.counter({ name: 'done_total', help: 'h' }).inc(10);
      r.gauge({ name: 'busy', help: 'h' }).set(1);
    }
    const merge = merger();
    const first = merge.merge([answer('a', 1, a), answer('b', 2, b)], 0);
    expect(values(first, 'done_total')).toEqual({ '{}': 20 });
    // b leaves; c, a new process, starts from its own count.
    const second = merge.merge([answer('a', 1, a), answer('c', 3, c)], 0);
    expect(values(second, 'done_total')).toEqual({ '{}': 30 });
    expect(values(second, 'busy')).toEqual({ '{}': 2 });
    const third = merge.merge([answer('a', 1, a)], 0);
    expect(values(third, 'done_total')).toEqual({ '{}': 30 });
    expect(values(third, 'busy')).toEqual({ '{}': 1 });
  });

  it('keeps the merged counter from going down when a process restarts a series', () => {
    const [a] = workers(1) as [Registry];
    const merge = merger();
    a.counter({ name: 'sent_total', help: 'h', labelNames: ['to'] }).inc({ to: 'x' }, 7);
    expect(values(merge.merge([answer('a', 1, a)], 0), 'sent_total')).toEqual({ '{"to":"x"}': 7 });
    a.unregister('sent_total');
    a.counter({ name: 'sent_total', help: 'h', labelNames: ['to'] }).inc({ to: 'x' }, 2);
    expect(values(merge.merge([answer('a', 1, a)], 0), 'sent_total')).toEqual({ '{"to":"x"}': 9 });
    a.unregister('sent_total');
    a.counter({ name: 'sent_total', help: 'h', labelNames: ['to'] });
    expect(values(merge.merge([answer('a', 1, a)], 0), 'sent_total')).toEqual({ '{"to":"x"}': 9 });
  });

  it('merges an unchanged answer (an unresponsive process) once, not twice', () => {
    const [a, b] = workers(2) as [Registry, Registry];
    const n = a.counter({ name: 'n_total', help: 'h' });
    n.inc(3);
    b.counter({ name: 'n_total', help: 'h' }).inc(4);
    const merge = merger();
    const stale = answer('b', 2, b);
    merge.merge([answer('a', 1, a), stale], 0);
    n.inc(1);
    expect(values(merge.merge([answer('a', 1, a), stale], 0), 'n_total')).toEqual({ '{}': 8 });
  });

  it('leaves out, and warns once about, a family whose shape differs between processes', () => {
    const [a, b] = workers(2) as [Registry, Registry];
    a.counter({ name: 'x_total', help: 'h', labelNames: ['k'] }).inc({ k: '1' });
    b.counter({ name: 'x_total', help: 'h', labelNames: ['other'] }).inc({ other: '1' }, 5);
    const warnings: string[] = [];
    const merge = merger({}, warnings);
    merge.merge([answer('a', 1, a), answer('b', 2, b)], 0);
    const merged = merge.merge([answer('a', 1, a), answer('b', 2, b)], 0);
    expect(values(merged, 'x_total')).toEqual({ '{"k":"1"}': 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('x_total');
  });

  it('keeps slots across scrapes, and gives a reused gauge slot a new generation', () => {
    const [a] = workers(1) as [Registry];
    const g = a.gauge({ name: 'depth', help: 'h', labelNames: ['q'] });
    g.set({ q: 'one' }, 1);
    const merge = merger();
    const first = family(merge.merge([answer('a', 1, a)], 0), 'depth').series[0];
    g.remove({ q: 'one' });
    expect(family(merge.merge([answer('a', 1, a)], 0), 'depth').series).toHaveLength(0);
    g.set({ q: 'two' }, 2);
    const reused = family(merge.merge([answer('a', 1, a)], 0), 'depth').series[0];
    expect(reused?.slot).toBe(first?.slot);
    expect(reused?.generation).toBe((first?.generation ?? 0) + 1);
    expect(reused?.labels).toEqual({ q: 'two' });
  });

  it('sends the series lists only when they changed since the answer the primary holds', () => {
    const [a] = workers(1) as [Registry];
    const c = a.counter({ name: 'c_total', help: 'h', labelNames: ['k'] });
    c.inc({ k: 'x' });
    const first = toWire(a.collect());
    c.inc({ k: 'x' }, 2);
    a.gauge({ name: 'g', help: 'h', labelNames: ['k'] }).set({ k: 'y' }, 4);
    const second = toWire(a.collect());
    const sent = leaveOutKnown(second, first);
    expect(sent.families.map((f) => f.labels)).toEqual([null, ['y']]);
    expect(JSON.stringify(sent).length).toBeLessThan(JSON.stringify(second).length);
    expect(fillIn(JSON.parse(JSON.stringify(sent)), first)).toEqual(second);
    c.inc({ k: 'z' });
    expect(leaveOutKnown(toWire(a.collect()), second).families[0]?.labels).toEqual(['x', 'z']);
  });
});
