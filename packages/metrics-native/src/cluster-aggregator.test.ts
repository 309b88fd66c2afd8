import { describe, expect, it } from 'vitest';
import { createClusterAggregator } from './cluster-aggregator';
import { isMetricsError } from './errors';
import { createRegistry } from './registry';

function codeAndMessage(make: () => unknown): [string | undefined, string] {
  try {
    make();
  } catch (error) {
    return [isMetricsError(error) ? error.code : undefined, (error as Error).message];
  }
  throw new Error('expected a throw');
}

describe('createClusterAggregator', () => {
  it('names each bad option and what was expected', () => {
    const [code, message] = codeAndMessage(() =>
      createClusterAggregator({
        timeoutMs: -1,
        gaugeModes: { depth: 'average' as 'sum' },
        registry: {} as never,
      }),
    );
    expect(code).toBe('CLUSTER_OPTIONS_INVALID');
    expect(message).toContain('timeoutMs: expected a positive number, received -1');
    expect(message).toContain(
      'gaugeModes.depth: expected one of "sum", "min", "max", "last", "pid", received "average"',
    );
    expect(message).toContain('registry: expected a registry from createRegistry()');
    expect(codeAndMessage(() => createClusterAggregator({ port: 1 } as never))[1]).toContain(
      'port: unknown field',
    );
  });

  it("serves the primary's own registry when there is no worker, with its process gauges", async () => {
    const registry = createRegistry();
    registry.counter({ name: 'own_total', help: 'h' }).inc(2);
    const aggregator = createClusterAggregator({ registry, processes: () => [] });
    const snapshot = await aggregator.collect();
    const values = Object.fromEntries(
      snapshot.families.map((f) => [f.name, (f.series[0] as { value?: number } | undefined)?.value]),
    );
    expect(values).toEqual({
      own_total: 2,
      tasker_cluster_processes: 0,
      tasker_cluster_processes_unresponsive: 0,
    });
  });
});
