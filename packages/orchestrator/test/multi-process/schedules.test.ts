/**
 * Schedules across processes (issue #14), on PostgreSQL: three worker processes of
 * `schedule-process.ts` fire two schedules of one second each (`mp-all`, catch-up `all`;
 * `mp-none`, catch-up `none`) for some 33 s of running: 8 s, one worker killed with SIGKILL, 8 s,
 * every worker stopped for 9 s, three started again, 8 s. Slots older than 2 s count as missed
 * there. (The phases were 10/10/10/8 s; these keep both figures checked below clear of their
 * bounds: a span of some 35 slots against 30, and some 8 slots skipped by `mp-none` against 5.)
 *
 * What must hold, read from the tasks in the database: every slot of `mp-all` from its first to
 * its last has exactly one task (the 9 s gap filled by the catch-up once workers came back);
 * `mp-none` has one task per slot too, but none for the slots missed during the pause, and its
 * record counts exactly those as skipped. The figures are printed.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { ScriptProcesses } from '../../../../test-support/src/script-processes';
import { createPostgresStore } from '../../src/index';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';

const script = fileURLToPath(new URL('./schedule-process.ts', import.meta.url));
/** How long every worker is stopped: its slots, older than 2 s when workers come back, are missed. */
const PAUSE_MS = 9_000;

describeWithPostgres('schedules across worker processes', (database) => {
  const processes = new ScriptProcesses(script, { bundle: true });
  afterAll(() => processes.killAll());

  it('fires each slot once with three workers, through a SIGKILL, and fills a 9 s pause of all workers with catch-up all', async () => {
    const db = await createTestDatabase(database().url);
    // Migrated before the workers start, so that they do not all wait on the migration lock.
    const store = await createPostgresStore({ connectionString: db.url, poolSize: 2 });
    await store.migrate();
    await store.close();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const env = { TASKER_MP_DATABASE_URL: db.url };
    const start = () => Promise.all([processes.start(env), processes.start(env), processes.start(env)]);
    const covered = async (name: string) =>
      Number(
        (await admin.query('select covered_until from tasker.schedules where name = $1', [name])).rows[0]
          ?.covered_until ?? 0,
      );
    try {
      const first = await start();
      await sleep(8_000);
      const killed = first[0]!;
      expect((await processes.stop(killed, 'SIGKILL')).signal).toBe('SIGKILL');
      await sleep(8_000);
      for (const w of first.slice(1)) expect((await processes.stop(w)).code).toBe(0);
      const stoppedAt = Date.now();
      await sleep(PAUSE_MS);
      const second = await start();
      const restartedAt = Date.now();
      // Workers fire for another 8 s, past the catch-up of the pause.
      await until(
        'both schedules fired 8 s past the restart',
        async () => Math.min(await covered('mp-all'), await covered('mp-none')),
        (t) => t > restartedAt + 8_000,
        { intervalMs: 200, tries: 300 },
      );
      for (const w of second) expect((await processes.stop(w)).code).toBe(0);

      const tasks = await admin.query<{ initiator: string; identity_key: string; reason: string }>(
        "select initiator, identity_key, reason from tasker.tasks where initiator like 'schedule:%'",
      );
      const slots = (name: string) =>
        tasks.rows
          .filter((r) => r.initiator === `schedule:${name}`)
          .map((r) => Date.parse(r.reason.replace(/^.*, slot /, '')))
          .sort((a, b) => a - b);
      const all = slots('mp-all');
      const none = slots('mp-none');
      const span = (s: number[]) => ((s.at(-1) as number) - (s[0] as number)) / 1_000 + 1;
      const missing = (s: number[]) => {
        const have = new Set(s);
        const out: number[] = [];
        for (let t = s[0] as number; t <= (s.at(-1) as number); t += 1_000) if (!have.has(t)) out.push(t);
        return out;
      };
      const firedLines = [...first, ...second].flatMap((w) =>
        w.lines.filter((l) => l.startsWith('fired\t')).map((l) => ({ pid: w.pid, parts: l.split('\t') })),
      );
      const byPid = (name: string) => {
        const counts: Record<number, number> = {};
        for (const f of firedLines) if (f.parts[1] === name) counts[f.pid] = (counts[f.pid] ?? 0) + 1;
        return counts;
      };
      const rows = await admin.query<{ name: string; fired: string; skipped: string }>(
        'select name, fired, skipped from tasker.schedules order by name',
      );
      const record = Object.fromEntries(
        rows.rows.map((r) => [r.name, { fired: Number(r.fired), skipped: Number(r.skipped) }]),
      );
      console.log(
        `mp-all: ${all.length} tasks for ${span(all)} slots (${new Date(all[0] as number).toISOString()} to ${new Date(all.at(-1) as number).toISOString()}), ` +
          `${missing(all).length} missing; fired by pid ${JSON.stringify(byPid('mp-all'))}. ` +
          `mp-none: ${none.length} tasks for ${span(none)} slots, ${missing(none).length} missing, record ${JSON.stringify(record['mp-none'])}; ` +
          `workers stopped ${Math.round((restartedAt - stoppedAt) / 100) / 10} s`,
      );
      // One task per slot: no slot twice, and (catch-up all) none missing over more than 30 s.
      expect(new Set(all).size).toBe(all.length);
      expect(span(all)).toBeGreaterThan(30);
      expect(missing(all)).toEqual([]);
      expect(record['mp-all']).toEqual({ fired: all.length, skipped: 0 });
      // Every fired event of the killed and the stopped workers names a slot of its own.
      const allLines = firedLines.filter((f) => f.parts[1] === 'mp-all').map((f) => f.parts[2]);
      expect(new Set(allLines).size).toBe(allLines.length);
      // Catch-up none: the slots of the pause, older than 2 s when a worker came back, are skipped
      // and counted; every other slot has its one task.
      expect(new Set(none).size).toBe(none.length);
      expect(missing(none).length).toBeGreaterThanOrEqual(5);
      expect(record['mp-none']).toEqual({ fired: none.length, skipped: missing(none).length });
      const errors = [...first, ...second].flatMap((w) => w.lines.filter((l) => l.startsWith('error\t')));
      expect(errors).toEqual([]);
    } finally {
      await admin.end();
      await processes.killAll();
      await db.drop();
    }
  }, 240_000);
});
