/**
 * Statements that update the same step rows must lock them in one order, or PostgreSQL
 * deadlocks them (it breaks the cycle after `deadlock_timeout`, a second of stall, and the
 * store retries). A worker renews the leases of the steps whose outcomes it is writing, so a
 * settle and a renewal of the same steps run side by side all the time.
 */
import { expect, it } from 'vitest';
import { createPostgresStore, type NewStep } from '../src/index';
import { describeWithPostgres } from './support/postgres';

const STEPS = 200;

describeWithPostgres('lock order', (database) => {
  it('never deadlocks a settle with a lease renewal of the same steps, whatever order each lists them in', async () => {
    const deadlocks: unknown[] = [];
    const open = () =>
      createPostgresStore({
        connectionString: database().url,
        poolSize: 2,
        onTransientError: (error) => {
          if ((error as { code?: string }).code === '40P01') deadlocks.push(error);
        },
      });
    const settler = await open();
    const renewer = await open();
    try {
      const step = (i: number): NewStep => ({
        name: `s${i}`,
        handler: 'h',
        retryable: true,
        retryLimit: 0,
        timeoutMs: undefined,
        skippable: false,
        dependsOn: [],
      });
      for (let round = 0; round < 8; round++) {
        const now = 1_000_000 * (round + 1);
        await settler.createTask(
          {
            namespace: 'locks',
            name: `r${round}`,
            version: '1.0.0',
            context: {},
            tags: [],
            annotations: {},
            bypassSteps: [],
            steps: Array.from({ length: STEPS }, (_, i) => step(i)),
          },
          now,
        );
        const claimed = await settler.claim('w', now, STEPS, 60_000);
        expect(claimed).toHaveLength(STEPS);
        const ascending = [...claimed].sort((a, b) => (a.id < b.id ? -1 : 1));
        const descending = [...ascending].reverse();
        const [settled] = await Promise.all([
          settler.settle(
            ascending.map((c) => ({ kind: 'complete' as const, stepId: c.id, token: c.token, result: null })),
            now + 1,
          ),
          renewer.renewLeases(
            descending.map((c) => ({ id: c.id, token: c.token })),
            now + 1,
            60_000,
          ),
        ]);
        expect(settled.fenced).toEqual([]);
      }
      expect(deadlocks).toEqual([]);
    } finally {
      await settler.close();
      await renewer.close();
    }
  }, 120_000);
});
