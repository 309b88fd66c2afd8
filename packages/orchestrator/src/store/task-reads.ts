/** Reading tasks: one with its steps and transitions, or a filtered, paginated list. */
import type { TaskState } from '../states/task-states';
import {
  type JsonValue,
  num,
  stepRecordFrom,
  type TaskDetails,
  type TaskRecord,
  taskRecordFrom,
  transitionRowFrom,
} from './records';
import {
  getTaskDetails as getTaskDetailsQuery,
  getTaskState,
  listTasksSorted,
  type TaskSortKey,
} from './sql/read-tasks';
import { assertStorableJson, assertStorableText } from './storable';
import type { StoreContext } from './store-context';

/** Filters of `listTasks`; every one optional. */
export interface TaskFilter {
  readonly namespace?: string;
  readonly name?: string;
  readonly version?: string;
  readonly state?: TaskState | readonly TaskState[];
  /** Tasks carrying every one of these tags. */
  readonly tags?: readonly string[];
  /** Tasks with an annotation of this type. */
  readonly annotationType?: string;
  /** Tasks whose annotations contain this JSON (`@>`), e.g. `{ ticket: { id: 7 } }`. */
  readonly annotations?: Readonly<Record<string, JsonValue>>;
  /** Created at or after (epoch ms). */
  readonly createdFrom?: number;
  /** Created before (epoch ms). */
  readonly createdBefore?: number;
  /** Page size, 1–500. Default 50. */
  readonly limit?: number;
  /** Default 0. */
  readonly offset?: number;
  /** Default `createdAt`. */
  readonly sortBy?: TaskSortKey;
  /** Default `desc`. */
  readonly sortOrder?: 'asc' | 'desc';
}

type Row = Record<string, unknown>;

/** A task with its steps (each naming its parents) and transitions, in one statement. */
export async function getTaskDetails(ctx: StoreContext, taskId: string): Promise<TaskDetails | undefined> {
  const r = await ctx.query(getTaskDetailsQuery, [taskId]);
  const row = r.rows[0];
  if (row === undefined) return undefined;
  const steps = row.steps as Row[];
  const byId = new Map<string, Row>();
  for (const s of steps) byId.set(String(s.id), s);
  const parents = new Map<string, Row[]>();
  for (const [parentId, childId] of row.edges as [string, string][]) {
    const parent = byId.get(parentId);
    if (parent === undefined) continue;
    const list = parents.get(childId);
    if (list === undefined) parents.set(childId, [parent]);
    else list.push(parent);
  }
  return {
    ...taskRecordFrom(row),
    steps: steps.map((s) => {
      const ps = (parents.get(String(s.id)) ?? []).sort((a, b) => num(a.position) - num(b.position));
      return stepRecordFrom({ ...s, depends_on: ps.map((p) => String(p.name)) });
    }),
    transitions: (row.transitions as Row[]).map(transitionRowFrom),
  };
}

/** A task's state (one row), or undefined when there is no such task. */
export async function getTaskStateOf(ctx: StoreContext, taskId: string): Promise<TaskState | undefined> {
  const r = await ctx.query<{ state: TaskState }>(getTaskState, [taskId]);
  return r.rows[0]?.state;
}

export async function listTaskRecords(
  ctx: StoreContext,
  f: TaskFilter,
): Promise<{ tasks: TaskRecord[]; total: number }> {
  assertStorableText('namespace', f.namespace);
  assertStorableText('name', f.name);
  assertStorableText('version', f.version);
  for (const [i, tag] of (f.tags ?? []).entries()) assertStorableText(`tags[${i}]`, tag);
  assertStorableText('annotation_type', f.annotationType);
  assertStorableJson('annotations', f.annotations);
  const states = f.state === undefined ? null : typeof f.state === 'string' ? [f.state] : [...f.state];
  const limit = Math.min(Math.max(Math.trunc(f.limit ?? 50), 1), 500);
  const r = await ctx.query(listTasksSorted[f.sortBy ?? 'createdAt'][f.sortOrder ?? 'desc'], [
    f.namespace ?? null,
    f.name ?? null,
    f.version ?? null,
    states,
    f.tags === undefined ? null : [...f.tags],
    f.annotationType ?? null,
    f.annotations === undefined ? null : JSON.stringify(f.annotations),
    f.createdFrom ?? null,
    f.createdBefore ?? null,
    limit,
    Math.max(Math.trunc(f.offset ?? 0), 0),
  ]);
  return { tasks: r.rows.map(taskRecordFrom), total: r.rows.length === 0 ? 0 : num(r.rows[0]?.total) };
}
