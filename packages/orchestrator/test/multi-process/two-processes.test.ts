import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { multiProcessTask } from './task';

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', script], {
    env: { ...process.env, TASKER_MP_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
  });
}

describeWithPostgres('two engine processes on one database', (database) => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.pid !== undefined) {
        process.kill(c.pid, 'SIGKILL');
        await once(c, 'exit');
      }
    }
  });

  it('runs 1,100 steps with exactly one completion each, shared by both processes', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('create table side_effects (step_id uuid not null, pid int not null)');
      const submitter = createTasker({
        store,
        tasks: [multiProcessTask],
        handlers: { work: async () => null },
      });
      const ids: string[] = [];
      for (let i = 0; i < 100; i++)
        ids.push(
          (await submitter.submit({ namespace: 'mp', name: 'fanout', version: '1.0.0', context: { i } }))
            .taskId,
        );
      children.push(await startWorker(url), await startWorker(url));
      for (let i = 0; i < 1_200; i++) {
        const done = await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 });
        if (done.total === 100) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 })).total).toBe(100);
      const completions = await admin.query(
        `select step_id, count(*)::int as n from tasker.transitions
         where step_id is not null and to_state = 'complete' group by step_id`,
      );
      expect(completions.rows.length).toBe(1_100);
      expect(completions.rows.every((r) => r.n === 1)).toBe(true);
      const effects = await admin.query(
        'select count(distinct step_id)::int as steps, array_agg(distinct pid) as pids from side_effects',
      );
      expect(effects.rows[0].steps).toBe(1_100);
      const byPid = await admin.query('select pid, count(*)::int as n from side_effects group by pid');
      const pids = children.map((c) => c.pid);
      expect(byPid.rows.map((r) => r.pid).sort()).toEqual([...pids].sort());
      for (const c of children) {
        process.kill(c.pid as number, 'SIGTERM');
        await once(c, 'exit');
      }
    } finally {
      await admin.end();
      await store.close();
    }
  }, 180_000);
});
