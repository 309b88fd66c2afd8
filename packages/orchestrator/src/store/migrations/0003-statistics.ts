/**
 * Migration 3: the engine's tables keep their statistics, and the reads of one task need no
 * statistics at all.
 *
 * Queue tables churn: a step row is rewritten three times or more (claim, lease renewals,
 * settle) while the live set stays small, and the audit only grows. PostgreSQL's defaults wait
 * for 20 % of a table to be dead before vacuuming it and 10 % to have changed before analyzing
 * it, and autovacuum may be off. A table that was never analyzed, or was analyzed when it held
 * a handful of rows, gave the reads of `getTask` parallel sequential scans and JIT compilation
 * (about 0.5 s per read at 20k tasks) until someone ran ANALYZE by hand (issue #11, item 6).
 *
 * - Per-table autovacuum and autoanalyze thresholds suited to queue tables (each with its reason
 *   below). They matter only where autovacuum runs; PGlite has none.
 * - `n_distinct` for the columns that every read of one task filters on: a task has a handful of
 *   steps, edges and transitions however many tasks the table holds. ANALYZE otherwise records a
 *   fixed number of distinct values when every value repeats (all tasks have several rows), and
 *   a table that grew since estimates a third of itself for one task. The value is used by each
 *   ANALYZE from now on, so estimates for one task stay a few rows whenever stats were taken.
 * - An index on `step_edges (task_id)`, so that a task's edges are one index range (the detail
 *   read) instead of one lookup per step; it also serves the `on delete cascade` from a deleted
 *   task, which scanned the whole table per task before. It is built inside the migration's
 *   transaction (no CONCURRENTLY there): while it builds, task creation waits (other work
 *   continues, reads and claims included); step_edges holds a few rows per task, so that is
 *   seconds for millions of edges.
 * - ANALYZE of every engine table that holds data (10 pages or more), so that a database
 *   migrated with data has statistics at once. (ANALYZE runs in a transaction; VACUUM cannot,
 *   and is left to autovacuum.) A smaller table is left unanalyzed on purpose: until a table has
 *   been analyzed, the planner assumes at least 10 pages, and an ANALYZE of an empty table ends
 *   that (PostgreSQL 14+ keeps the floor only for `reltuples = -1`). Plans cached on a table
 *   thought empty (a foreign-key check, a pooled connection's prepared statement, for the life of
 *   the session) stay sequential scans as it grows, until the next ANALYZE, which never comes on
 *   PGlite or with autovacuum off: on PGlite, 6,000 4-step chains from an empty database went from
 *   156 to 29 steps/s with the empty tables analyzed, and from 305 to 605 steps/s without.
 *
 * No fillfactor: measured over 5,000 4-step chains (autovacuum off), fillfactor 85 raised the
 * share of HOT updates of `tasks` from 71.7 % to 74.7 % for a table 10 % larger, and left
 * `steps` at 0 % (every update of a step changes `ready_at`, which `steps_ready_idx` indexes, so
 * none can be HOT whatever the free space).
 *
 * Every setting is a storage parameter or column option: `ALTER TABLE … RESET (…)` undoes it,
 * and a deployment may override it the same way. Nothing here needs more than PostgreSQL 12
 * (the insert-driven `autovacuum_vacuum_insert_*` parameters of 13 are left at their defaults).
 */
export const migration0003 = {
  id: 3,
  name: 'statistics',
  sql: `
alter table tasker.steps set (
  -- A step row is rewritten at every claim, lease renewal and settle while few rows are live:
  -- vacuum after 1,000 + 2 % dead rows, not 50 + 20 %, so the ready index stays small.
  autovacuum_vacuum_scale_factor = 0.02,
  autovacuum_vacuum_threshold = 1000,
  -- Ten times the default cost budget (200), so a vacuum ends before the churn refills it.
  autovacuum_vacuum_cost_limit = 2000,
  -- Re-analyze after 1,000 + 2 % changed rows: the mix of states moves fast in a queue.
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_analyze_threshold = 1000
);
alter table tasker.tasks set (
  -- Rewritten once per settled step (mostly HOT): vacuum after 1,000 + 5 % dead rows.
  autovacuum_vacuum_scale_factor = 0.05,
  autovacuum_vacuum_threshold = 1000,
  -- The listing filters on state and creation time: analyze after 1,000 + 2 % changed rows.
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_analyze_threshold = 1000
);
alter table tasker.transitions set (
  -- Append-only and the largest table: analyze after 5,000 + 2 % new rows, not 10 %, so its
  -- row count and time ranges follow its growth.
  autovacuum_analyze_scale_factor = 0.02,
  autovacuum_analyze_threshold = 5000
);
alter table tasker.step_edges set (
  -- Written when tasks are created, deleted with them: analyze after 1,000 + 5 % changed rows.
  autovacuum_analyze_scale_factor = 0.05,
  autovacuum_analyze_threshold = 1000
);
-- Rows per task, as a share of the table (-0.1: one task per ten rows), whatever its size.
alter table tasker.steps alter column task_id set (n_distinct = -0.1);
alter table tasker.step_edges alter column task_id set (n_distinct = -0.1);
alter table tasker.transitions alter column task_id set (n_distinct = -0.05);

create index step_edges_task_idx on tasker.step_edges (task_id);

-- Analyzes each engine table that holds at least 10 pages (the planner's floor; see above).
do $analyze$
declare
  t text;
begin
  foreach t in array array['tasks', 'steps', 'step_edges', 'transitions'] loop
    if pg_relation_size(format('tasker.%I', t)::regclass) >= 10 * current_setting('block_size')::bigint then
      execute format('analyze tasker.%I', t);
    end if;
  end loop;
end
$analyze$;
`,
} as const;
