/**
 * What the audit trail says about a Tasker run: the checks every orchestrator benchmark run
 * passes before its figures count (a run that fails them fails the benchmark).
 *
 * - every task is `complete` and has exactly one `→ complete` transition of its own;
 * - the database holds exactly the expected steps, each `complete` with exactly one
 *   `in_progress → complete` transition;
 * - DAG order: for every edge whose child was claimed, the parent's completion row was written
 *   before the child's claim row (a child never claimed is a lost step, counted above).
 *   Transition ids come from one sequence, and a child can only be claimed by a transaction
 *   that began after its parent's completion committed, so a claim row with a smaller id than
 *   its parent's completion row means the child started first.
 *
 * With `exceptTag`, tasks carrying that tag (and their steps and edges) are left out: work left
 * in the database on purpose, such as the errored tasks of the faults benchmark. With
 * `{ namespace }`, only the tasks of that namespace are checked: a run's own, in a database that
 * holds other work (the finished tasks a retention sweep removes meanwhile, for example).
 */

/** Runs one statement with `$1`-style parameters and returns its rows. */
export type QueryRows = <Row>(text: string, params?: readonly unknown[]) => Promise<Row[]>;

/** Which tasks a check looks at: all, those without a tag, or those of one namespace. */
type Scope = 'whole' | 'untagged' | 'namespace';

// FROM items for the tasks, steps and edges under audit: the whole tables, those of tasks
// without the tag `$1`, or those of tasks in namespace `$1`.
function scope(kind: Scope) {
  if (kind === 'whole') return { tasks: 'tasker.tasks', steps: 'tasker.steps', edges: 'tasker.step_edges' };
  const keep = kind === 'untagged' ? 'not ($1::text = any(k.tags))' : 'k.namespace = $1::text';
  const own = (table: string) =>
    `(select x.* from ${table} x join tasker.tasks k on k.id = x.task_id where ${keep})`;
  return {
    tasks: `(select * from tasker.tasks k where ${keep})`,
    steps: own('tasker.steps'),
    edges: own('tasker.step_edges'),
  };
}

function checks(kind: Scope) {
  const from = scope(kind);
  // Completions per task and per step, from the audit: none means lost, more than one repeated.
  const completions = (table: string, match: string) => `
select count(*) filter (where c.n = 0)::int as never, count(*) filter (where c.n > 1)::int as repeated,
  coalesce(max(c.n), 0)::int as most
from ${table} x
cross join lateral (
  select count(*)::int as n from tasker.transitions t where ${match} and t.to_state = 'complete'
) c`;
  return {
    tasks: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from ${from.tasks} x`,
    steps: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from ${from.steps} x`,
    taskCompletions: completions(from.tasks, 't.task_id = x.id and t.step_id is null'),
    stepCompletions: completions(from.steps, 't.step_id = x.id'),
    order: `
select count(*)::int as broken
from ${from.edges} e
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.parent_id and t.to_state = 'complete'
) p
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.child_id and t.to_state = 'in_progress'
) c
where c.id is not null and (p.id is null or c.id < p.id)`,
  } as const;
}

const SQL: Record<Scope, ReturnType<typeof checks>> = {
  whole: checks('whole'),
  untagged: checks('untagged'),
  namespace: checks('namespace'),
};

/**
 * What the database says is wrong after `tasks` tasks of `steps` steps in all ran (those not
 * tagged `exceptTag` when it is a string, those of `namespace` when given); [] if nothing.
 */
export async function auditRun(
  query: QueryRows,
  expected: { readonly tasks: number; readonly steps: number },
  exceptTag?: string | { readonly namespace: string },
): Promise<string[]> {
  type Counts = { n: number; complete: number };
  type Completions = { never: number; repeated: number; most: number };
  const kind: Scope =
    exceptTag === undefined ? 'whole' : typeof exceptTag === 'string' ? 'untagged' : 'namespace';
  const sql = SQL[kind];
  const params =
    exceptTag === undefined ? [] : [typeof exceptTag === 'string' ? exceptTag : exceptTag.namespace];
  const one = async <Row>(text: string) => (await query<Row>(text, params))[0] as Row;
  const { tasks, steps } = expected;
  const problems: string[] = [];
  const t = await one<Counts>(sql.tasks);
  if (t.n !== tasks || t.complete !== tasks)
    problems.push(`${t.complete} of ${t.n} tasks complete, expected ${tasks}`);
  const tc = await one<Completions>(sql.taskCompletions);
  if (tc.never > 0 || tc.repeated > 0)
    problems.push(
      `${tc.never} tasks without a completion, ${tc.repeated} completed more than once (most: ${tc.most})`,
    );
  const s = await one<Counts>(sql.steps);
  if (s.n !== steps || s.complete !== steps)
    problems.push(`${s.complete} of ${s.n} steps complete, expected ${steps}`);
  const sc = await one<Completions>(sql.stepCompletions);
  if (sc.never > 0 || sc.repeated > 0)
    problems.push(
      `${sc.never} steps without a completion, ${sc.repeated} completed more than once (most: ${sc.most})`,
    );
  const order = await one<{ broken: number }>(sql.order);
  if (order.broken > 0)
    problems.push(`${order.broken} edges whose child started before its parent completed`);
  return problems;
}
