import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createEventRouter } from './event-router';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('memory under unknown event names', () => {
  it('stays flat over 1M distinct unknown names, warning a bounded number of times', () => {
    const warnings: string[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: '**', backends: ['logs'] }],
      backends: { logs: { name: 'logs', handle: () => {} } },
      warn: (m) => warnings.push(m),
    });
    // Warm up so that the lazily made parts of the router exist before the baseline.
    for (let i = 0; i < 1000; i++) router.route(`warmup.name_${i}`, {});
    const before = heapAfterGc();
    for (let i = 0; i < 1_000_000; i++) router.route(`unknown.name_${i}`, {});
    const after = heapAfterGc();
    // 1M cached names would hold well over 50 MB; a flat router holds none of them.
    expect(after - before).toBeLessThan(2 * 1024 * 1024);
    expect(router.stats().unrouted).toBe(1_001_000);
    expect(warnings).toHaveLength(101);
    expect(warnings[100]).toBe(
      'Tasker router: more than 100 unknown event names; further ones are counted, not reported',
    );
  });
});
