import { describe, expect, it } from 'vitest';
import type { Gauge } from './gauge';
import { createRegistry } from './registry';
import type { GaugeFamilySnapshot } from './snapshot';

function setup() {
  const warnings: string[] = [];
  const registry = createRegistry({ now: () => 5_000, warn: (m) => warnings.push(m) });
  const family = (name: string) =>
    registry.collect().families.find((f) => f.name === name) as GaugeFamilySnapshot;
  return { registry, family, warnings };
}

describe('gauge', () => {
  it('sets, increments and decrements per label set', () => {
    const { registry, family } = setup();
    const pool = registry.gauge({
      name: 'db_connections',
      help: 'Connections.',
      labelNames: ['pool', 'db', 'state'],
    });
    const main = { pool: 'main', db: 'orders', state: 'idle' };
    const replica = { pool: 'replica', db: 'orders', state: 'idle' };
    pool.set(main, 10);
    pool.inc(main);
    pool.inc(main, 4);
    pool.dec(main);
    pool.dec(main, 2.5);
    pool.set(replica, -3);
    const values = family('db_connections').series.map((s) => [s.labels.pool, s.value]);
    expect(values).toEqual([
      ['main', 11.5],
      ['replica', -3],
    ]);
  });

  it('updates through a bound handle, the same one for the same labels', () => {
    const { registry, family } = setup();
    const inFlight = registry.gauge({ name: 'in_flight', help: 'In flight.', labelNames: ['route'] });
    const handle = inFlight.labels({ route: '/a' });
    expect(inFlight.labels({ route: '/a' })).toBe(handle);
    handle.inc();
    handle.inc();
    handle.dec();
    handle.set(handle === inFlight.labels({ route: '/a' }) ? 7 : 0);
    handle.dec(0.5);
    expect(family('in_flight').series[0]?.value).toBe(6.5);
  });

  it('drops non-finite values, counted, on every path', () => {
    const { registry, family, warnings } = setup();
    const labelled = registry.gauge({ name: 'g1', help: 'G.', labelNames: ['x'] });
    const plain = registry.gauge({ name: 'g2', help: 'G.' });
    labelled.set({ x: 'a' }, 1);
    labelled.set({ x: 'a' }, Number.NaN);
    labelled.inc({ x: 'a' }, Number.POSITIVE_INFINITY);
    labelled.dec({ x: 'a' }, Number.NEGATIVE_INFINITY);
    labelled.labels({ x: 'a' }).set(Number.NaN);
    labelled.labels({ x: 'a' }).dec('x' as never);
    plain.set(2);
    plain.set(Number.NaN);
    plain.inc(Number.POSITIVE_INFINITY);
    expect(family('g1').series[0]?.value).toBe(1);
    expect(family('g1').dropped.invalidValue).toBe(5);
    expect(family('g2').series[0]?.value).toBe(2);
    expect(family('g2').dropped.invalidValue).toBe(2);
    expect(warnings[0]).toBe(
      'gauge "g1" dropped an update of NaN: expected a finite number. Further drops are counted in the snapshot (dropped.invalidValue).',
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toContain('gauge "g2" dropped an update of NaN');
  });

  it('reads values at collect time through its collect callback', () => {
    const { registry, family } = setup();
    const queue: string[] = ['a', 'b'];
    registry.gauge({
      name: 'queue_depth',
      help: 'Jobs waiting.',
      labelNames: ['queue'],
      collect: (gauge) => gauge.set({ queue: 'default' }, queue.length),
    });
    expect(family('queue_depth').series[0]?.value).toBe(2);
    queue.push('c');
    expect(family('queue_depth').series[0]?.value).toBe(3);
  });

  it('passes the gauge itself to the callback, typed by its labels', () => {
    const { registry, family } = setup();
    let seen: Gauge | undefined;
    const uptime = registry.gauge({
      name: 'uptime_seconds',
      help: 'Uptime.',
      unit: 'seconds',
      collect: (gauge) => {
        seen = gauge;
        gauge.set(12);
      },
    });
    expect(family('uptime_seconds').series[0]?.value).toBe(12);
    expect(seen).toBe(uptime);
  });

  it('counts and warns once when the collect callback throws, and still collects', () => {
    const { registry, family, warnings } = setup();
    registry.gauge({
      name: 'broken',
      help: 'Broken.',
      collect: () => {
        throw new Error('sensor offline');
      },
    });
    registry.gauge({ name: 'fine', help: 'Fine.' }).set(1);
    expect(family('fine').series[0]?.value).toBe(1);
    expect(family('broken').collectErrors).toBe(2);
    expect(warnings).toEqual([
      'gauge "broken": its collect callback threw (counted in the snapshot as collectErrors): sensor offline',
    ]);
  });

  it('stamps series with created timestamps', () => {
    const { registry, family } = setup();
    registry.gauge({ name: 'temp_celsius', help: 'T.', unit: 'celsius' }).set(21);
    expect(family('temp_celsius').series[0]).toEqual({
      labels: {},
      slot: 0,
      generation: 0,
      created: 5_000,
      overflow: false,
      value: 21,
    });
    expect(family('temp_celsius').unit).toBe('celsius');
  });
});
