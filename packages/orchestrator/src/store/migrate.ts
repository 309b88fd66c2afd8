/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so
 * that many workers starting at once apply each migration exactly once.
 */
import type { SqlDriver } from './driver';
import { MIGRATIONS, type Migration } from './migrations';

/** The advisory lock key of migrations (`tasker` in ASCII). */
const MIGRATION_LOCK = 0x7461736b6572;

/** Applies every migration not yet applied; returns the ids it applied. */
export async function migrate(
  driver: SqlDriver,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return driver.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`
      create schema if not exists tasker;
      create table if not exists tasker.migrations (
        id integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      );`);
    const done = await tx.query<{ id: number }>('select id from tasker.migrations');
    const applied = new Set(done.rows.map((r) => Number(r.id)));
    const ran: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query('insert into tasker.migrations (id, name) values ($1, $2)', [m.id, m.name]);
      ran.push(m.id);
    }
    return ran;
  });
}
