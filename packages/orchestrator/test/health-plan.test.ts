/**
 * `/health/status` reads through indexes only (issue #13): its statement, planned as the store
 * runs it (full-table scans off for its transaction), has no sequential scan, on PostgreSQL and
 * PGlite, over a filled database whose statistics are taken. With the setting off the planner
 * would be free to scan; with no index able to serve a part, it would scan anyway, and this
 * test would fail.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  type SqlDriver,
  type SqlExecutor,
  TaskStore,
} from '../src/index';
import { healthFigures } from '../src/store/sql/insights';
import { insertCompletedChains } from './support/bulk-tasks';
import { oneStepTask } from './support/one-step-task';
import { createTestDatabase, describeWithPostgres } from './support/postgres';
import { connectionExecutor, explainHotRead } from './support/query-plans';

// Ten days after the bulk chains (created from 1 700 000 000 000): they lie outside the window.
const NOW = 1_700_864_000_000;

async function expectIndexReads(driver: SqlDriver, planner: SqlExecutor & { close(): Promise<void> }) {
  const store = new TaskStore(driver);
  await store.migrate();
  await insertCompletedChains((text) => driver.exec(text), 3_000);
  for (let i = 0; i < 20; i++)
    await store.createTask(oneStepTask({ namespace: `live${i % 3}` }), NOW - 50_000 + i);
  await driver.exec('analyze');
  try {
    await planner.exec('set enable_seqscan = off');
    const plans = await explainHotRead(planner, healthFigures.text, [NOW, NOW - 300_000]);
    for (const plan of plans) {
      const shown = `${plan.mode}: ${plan.nodes.join(' / ')}`;
      expect(plan.problems, shown).toEqual([]);
      // Each table is read through the index that bounds it by time (or by claim key), not
      // walked whole through another one.
      const indexes = plan.nodes
        .filter((n) => n.includes(' using '))
        .map((n) => n.slice(n.indexOf(' using ') + 7));
      expect(new Set(indexes), shown).toEqual(
        new Set([
          'transitions_created_brin',
          'tasks_created_idx',
          'steps_claim_idx',
          'steps_parked_idx',
          'steps_rate_held_idx',
          'tasks_run_at_idx',
          'steps_task_id_name_key',
        ]),
      );
    }
    // It answers with what the data holds: 20 tasks created in the window, 20 steps waiting.
    const figures = await store.insights.healthFigures(NOW, NOW - 300_000);
    expect(figures.tasks).toEqual({ in_progress: 20 });
    expect(figures.oldestReadyAt).toBe(NOW - 50_000);
  } finally {
    await planner.close();
  }
}

describe('health status plan (PGlite)', () => {
  it('reads index ranges only, never a whole table', async () => {
    const driver = await createPgliteDriver();
    try {
      await expectIndexReads(driver, { query: driver.query, exec: driver.exec, close: async () => {} });
    } finally {
      await driver.close();
    }
  }, 120_000);
});

describeWithPostgres('health status plan (PostgreSQL)', (database) => {
  it('reads index ranges only, never a whole table', async () => {
    const db = await createTestDatabase(database().url);
    const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 2 });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await expectIndexReads(
        driver,
        Object.assign(connectionExecutor(client), { close: () => client.end() }),
      );
    } finally {
      await driver.close();
      await db.drop();
    }
  }, 120_000);
});
