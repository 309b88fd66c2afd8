import { describe, expect, it } from 'vitest';
import { isMetricsError, type MetricsError } from './errors';
import { createRegistry } from './registry';

const registry = () => createRegistry({ warn: () => {} });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isMetricsError(error)) {
      expect((error as MetricsError).code).toBe('METRIC_OPTIONS_INVALID');
      return error.message;
    }
    throw error;
  }
  throw new Error('expected METRIC_OPTIONS_INVALID');
}

describe('metric names', () => {
  it('requires counters to end in _total, once', () => {
    expect(message(() => registry().counter({ name: 'http_requests', help: 'R.' }))).toBe(
      'Invalid counter "http_requests": name: expected a counter name ending in "_total" (the Prometheus convention), received "http_requests"',
    );
    expect(message(() => registry().counter({ name: 'x_total_total', help: 'R.' }))).toContain(
      'expected "_total" once',
    );
    expect(message(() => registry().counter({ name: '_total', help: 'R.' }))).toContain('ending in "_total"');
  });

  it('keeps _total for counters', () => {
    expect(message(() => registry().gauge({ name: 'queue_total', help: 'Q.' }))).toContain(
      'name: expected a gauge name not ending in "_total" (reserved for counters)',
    );
    expect(message(() => registry().histogram({ name: 'h_total', help: 'H.' }))).toContain(
      'reserved for counters',
    );
  });

  it('follows the Prometheus name syntax', () => {
    expect(message(() => registry().gauge({ name: '1st', help: 'X.' }))).toContain(
      'name: expected letters, digits and "_", not starting with a digit, received "1st"',
    );
    expect(message(() => registry().gauge({ name: 'a-b', help: 'X.' }))).toContain('received "a-b"');
    expect(message(() => registry().gauge({ name: 'job:rate5m', help: 'X.' }))).toContain(
      'colons are reserved for recording rules',
    );
    expect(message(() => registry().gauge({ name: '__up', help: 'X.' }))).toContain('not starting with "__"');
    expect(message(() => registry().gauge({ name: '', help: 'X.' }))).toContain('received ""');
    expect(message(() => registry().gauge({ name: 5 as never, help: 'X.' }))).toContain(
      'name: expected a metric name string, received 5',
    );
  });

  it('accepts good names', () => {
    const r = registry();
    expect(() => r.gauge({ name: '_private', help: 'X.' })).not.toThrow();
    expect(() => r.counter({ name: 'A9_b_total', help: 'X.' })).not.toThrow();
  });
});

describe('help', () => {
  it('is a non-empty string', () => {
    expect(message(() => registry().gauge({ name: 'g', help: '' }))).toContain(
      'help: expected a non-empty description',
    );
    expect(message(() => registry().gauge({ name: 'g' } as never))).toContain(
      'help: expected a description string, received undefined',
    );
  });
});

describe('label names', () => {
  it('follow the Prometheus label syntax and are unique', () => {
    expect(
      message(() => registry().gauge({ name: 'g', help: 'G.', labelNames: ['ok', 'not-ok'] })),
    ).toContain(
      'labelNames.1: expected letters, digits and "_", not starting with a digit, received "not-ok"',
    );
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', labelNames: ['__name__'] }))).toContain(
      'labelNames.0: expected a label name not starting with "__" (reserved)',
    );
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', labelNames: ['a', 'b', 'a'] }))).toContain(
      'labelNames.2: label "a" is declared twice',
    );
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', labelNames: 'a' as never }))).toContain(
      'labelNames: expected an array of label names, received "a"',
    );
  });

  it('reserve le for histograms and the overflow label for everyone', () => {
    expect(message(() => registry().histogram({ name: 'h', help: 'H.', labelNames: ['le'] }))).toContain(
      'labelNames.0: "le" is reserved for histogram buckets',
    );
    expect(() => registry().gauge({ name: 'g', help: 'G.', labelNames: ['le'] })).not.toThrow();
    expect(
      message(() => registry().counter({ name: 'c_total', help: 'C.', labelNames: ['tasker_overflow'] })),
    ).toContain('"tasker_overflow" is reserved for the overflow series');
  });
});

describe('units', () => {
  it('must be the suffix of the name, without _total', () => {
    expect(() =>
      registry().counter({ name: 'cpu_seconds_total', help: 'CPU.', unit: 'seconds' }),
    ).not.toThrow();
    expect(() =>
      registry().histogram({ name: 'request_size_bytes', help: 'S.', unit: 'bytes' }),
    ).not.toThrow();
    expect(message(() => registry().gauge({ name: 'request_size', help: 'S.', unit: 'bytes' }))).toBe(
      'Invalid gauge "request_size": unit: expected the unit to be the suffix of the name: "request_size" does not end in "_bytes"',
    );
    expect(message(() => registry().counter({ name: 'cpu_total', help: 'CPU.', unit: 'total' }))).toContain(
      '"cpu" (the name without "_total") does not end in "_total"',
    );
    expect(message(() => registry().gauge({ name: 'xbytes', help: 'S.', unit: 'bytes' }))).toContain(
      'does not end in "_bytes"',
    );
    expect(message(() => registry().gauge({ name: 'a_b', help: 'S.', unit: 'b c' }))).toContain(
      'unit: expected letters, digits and "_"',
    );
  });
});

describe('buckets', () => {
  it('are finite, strictly increasing and not empty', () => {
    expect(message(() => registry().histogram({ name: 'h', help: 'H.', buckets: [1, 2, 2] }))).toContain(
      'buckets: buckets[2]: expected a bound greater than buckets[1] (2), received 2',
    );
    expect(message(() => registry().histogram({ name: 'h', help: 'H.', buckets: [] }))).toContain(
      'expected at least one finite bucket bound',
    );
    expect(
      message(() => registry().histogram({ name: 'h', help: 'H.', buckets: [Number.POSITIVE_INFINITY] })),
    ).toContain('expected at least one finite bucket bound');
    expect(
      message(() => registry().histogram({ name: 'h', help: 'H.', buckets: [1, Number.NaN] })),
    ).toContain('buckets.1');
    expect(message(() => registry().histogram({ name: 'h', help: 'H.', buckets: [5, 1] }))).toContain(
      'buckets[1]: expected a bound greater than buckets[0] (5), received 1',
    );
  });

  it('belong to histograms only', () => {
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', buckets: [1] } as never))).toContain(
      'buckets: unknown field',
    );
  });
});

describe('limits, TTL and retention', () => {
  it('validate their values', () => {
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', seriesLimit: 1.5 }))).toContain(
      'seriesLimit: expected a positive integer, received 1.5',
    );
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', idleTtlMs: 0 }))).toContain(
      'idleTtlMs: expected a positive number of milliseconds (or Infinity), received 0',
    );
    expect(
      message(() =>
        registry().gauge({
          name: 'g',
          help: 'G.',
          retention: [
            { resolutionMs: 60_000, points: 60 },
            { resolutionMs: 1_000, points: 10 },
          ],
        }),
      ),
    ).toContain(
      'retention.1.resolutionMs: expected tiers from finest to coarsest, received 1000 after 60000',
    );
    expect(
      message(() => registry().gauge({ name: 'g', help: 'G.', retention: [{ resolutionMs: 0, points: 1 }] })),
    ).toContain('resolutionMs');
    expect(
      message(() =>
        registry().gauge({ name: 'g', help: 'G.', retention: [{ resolutionMs: 1000, points: 1e6 }] }),
      ),
    ).toContain('expected an integer from 1 to 100000');
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', retention: [] }))).toContain('retention');
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', retention: 'yes' as never }))).toContain(
      'retention',
    );
  });

  it('rejects unknown fields and a collect callback that is not a function', () => {
    expect(
      message(() => registry().counter({ name: 'c_total', help: 'C.', labels: ['a'] } as never)),
    ).toContain('labels: unknown field');
    expect(message(() => registry().gauge({ name: 'g', help: 'G.', collect: 5 as never }))).toContain(
      'collect: expected a function (gauge) => void, received 5',
    );
    expect(
      message(() => registry().counter({ name: 'c_total', help: 'C.', collect: () => {} } as never)),
    ).toContain('collect: unknown field');
    expect(message(() => registry().counter(null as never))).toContain(
      'expected an options object, received null',
    );
  });

  it('names every bad field at once', () => {
    const text = message(() => registry().gauge({ name: 'bad-name', help: '', labelNames: ['x-y'] }));
    expect(text).toContain('name:');
    expect(text).toContain('help:');
    expect(text).toContain('labelNames.0:');
  });
});
