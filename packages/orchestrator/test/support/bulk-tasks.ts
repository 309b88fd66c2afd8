/**
 * Fills a database with finished tasks in a few statements, for tests that need tables of a
 * realistic size (tens of thousands of tasks) in seconds: 4-step chains, complete, with the rows
 * the engine writes for them (task, steps, edges, and the 15 transitions of each chain).
 */
const FILL = `
create temp table bulk_tasks on commit drop as
  select gen_random_uuid() as id, g as i from generate_series(1, $N) g;
create temp table bulk_steps on commit drop as
  select gen_random_uuid() as id, t.id as task_id, p from bulk_tasks t, generate_series(0, 3) p;
insert into tasker.tasks (id, namespace, name, version, state, context, tags, annotations, bypass_steps,
  unfinished_steps, created_at, updated_at, completed_at)
select id, 'bulk', 'chain', '1.0.0', 'complete', jsonb_build_object('i', i), '{}', '{}', '{}', 0,
  1700000000000 + i, 1700000000000 + i, 1700000000000 + i
from bulk_tasks;
insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, attempts,
  skippable, inputs, results, pending_parents, created_at, started_at, ended_at)
select id, task_id, 's' || (p + 1), 'work', p, 'complete', true, 3, 1, false, '{}', '1', 0,
  1700000000000, 1700000000000, 1700000000000
from bulk_steps;
insert into tasker.step_edges (task_id, parent_id, child_id)
select a.task_id, a.id, b.id from bulk_steps a join bulk_steps b on b.task_id = a.task_id and b.p = a.p + 1;
insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, metadata, created_at)
select task_id, step_id, step_name, from_state, to_state, '{}', 1700000000000
from (
  select t.id as task_id, null::uuid as step_id, null as step_name, x.f as from_state, x.t as to_state, x.o, 0 as p
  from bulk_tasks t,
    (values (null, 'pending', 0), ('pending', 'in_progress', 1), ('in_progress', 'complete', 9)) as x(f, t, o)
  union all
  select s.task_id, s.id, 's' || (s.p + 1), x.f, x.t, x.o, s.p
  from bulk_steps s,
    (values (null, 'pending', 2), ('pending', 'in_progress', 3), ('in_progress', 'complete', 4)) as x(f, t, o)
) z
order by task_id, o, p;`;

/**
 * Inserts `count` complete 4-step chains (namespace `bulk`) in one transaction, through `exec`
 * (a driver's `exec`: several statements, no parameters).
 */
export async function insertCompletedChains(
  exec: (text: string) => Promise<unknown>,
  count: number,
): Promise<void> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`count: expected a positive integer, received ${count}`);
  await exec(`begin;${FILL.replace('$N', String(count))}commit;`);
}
