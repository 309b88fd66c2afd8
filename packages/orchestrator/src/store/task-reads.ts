/** Reading tasks: one with its steps and transitions, or a filtered, paginated list. */
import { TaskerError } from '../errors';
import type { TaskState } from '../states/task-states';
import {
  type JsonValue,
  num,
  type OmittedValue,
  stepRecordFrom,
  type TaskDetails,
  type TaskRecord,
  type TaskSummary,
  taskRecordFrom,
  taskSummaryFrom,
  transitionRowFrom,
} from './records';
import {
  getTaskDetails as getTaskDetailsQuery,
  getTaskState,
  listTasksSorted,
  type TaskSortKey,
} from './sql/read-tasks';
import { assertStorableJson, assertStorableText, textProblem } from './storable';
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
  /** Tasks of this owner (the principal that submitted them) only. */
  readonly owner?: string;
  /** Created at or after (epoch ms). */
  readonly createdFrom?: number;
  /** Created before (epoch ms). */
  readonly createdBefore?: number;
  /** Page size, 1–500. Default 50. */
  readonly limit?: number;
  /** Rows to skip. Default 0. Kept for compatibility: `cursor` is the way to page. */
  readonly offset?: number;
  /** The previous page's `nextCursor`: this page starts after its last row. */
  readonly cursor?: string;
  /**
   * `'context'` adds each task's context and annotations. `'contextText'` adds them as their
   * JSON text, unparsed (`contextText`, `annotationsText`): for writing them out as they are,
   * without making objects of them. Default `'summary'`: without them.
   */
  readonly include?: 'summary' | 'context' | 'contextText';
  /**
   * The page's byte budget (JSON text): a page that would go over it ends early, with a
   * `nextCursor`. Its first row always comes, whatever its size. Default {@link DEFAULT_PAGE_BYTES}.
   */
  readonly maxBytes?: number;
  /** Default `createdAt`. */
  readonly sortBy?: TaskSortKey;
  /** Default `desc`. */
  readonly sortOrder?: 'asc' | 'desc';
}

/**
 * A task in a page: its context and annotations are there with `include: 'context'`, their JSON
 * text with `include: 'contextText'`.
 */
export type TaskListItem = TaskSummary &
  Partial<Pick<TaskRecord, 'context' | 'annotations'>> & {
    readonly contextText?: string;
    readonly annotationsText?: string;
  };

/** A page of `listTasks`. */
export interface TaskPage {
  readonly tasks: TaskListItem[];
  /** Tasks matching the filters, on every page. */
  readonly total: number;
  /** Where the next page starts, or undefined on the last page. */
  readonly nextCursor: string | undefined;
}

/** A page's byte budget unless the filter gives one: 4 MiB. */
export const DEFAULT_PAGE_BYTES = 4 * 1024 * 1024;

type Row = Record<string, unknown>;

/**
 * A task with its steps (each naming its parents) and transitions, in one statement. With
 * `maxBytes`, values that do not fit are left out and named in `omitted` (see `getTaskDetails`
 * in `sql/read-tasks.ts` for the shares).
 */
export async function getTaskDetails(
  ctx: StoreContext,
  taskId: string,
  maxBytes?: number,
): Promise<TaskDetails | undefined> {
  const budget = maxBytes === undefined ? null : Math.max(Math.trunc(maxBytes), 1);
  const r = await ctx.query(getTaskDetailsQuery, [taskId, budget]);
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
  const transitions = (row.transitions as Row[]).map(transitionRowFrom);
  const omitted: OmittedValue[] = [];
  if (budget !== null) {
    if (row.context === null && num(row.values_bytes) > 0) {
      omitted.push({ field: 'context', bytes: num(row.values_bytes) });
    }
    for (const s of steps) {
      if (s.omitted_bytes !== null)
        omitted.push({ field: `steps[${String(s.name)}]`, bytes: num(s.omitted_bytes) });
    }
    const left = num(row.transition_count) - transitions.length;
    if (left > 0) omitted.push({ field: 'transitions', count: left });
  }
  return {
    ...taskRecordFrom(row),
    steps: steps.map((s) => {
      const ps = (parents.get(String(s.id)) ?? []).sort((a, b) => num(a.position) - num(b.position));
      return stepRecordFrom({ ...s, depends_on: ps.map((p) => String(p.name)) });
    }),
    transitions,
    ...(budget === null ? {} : { omitted }),
  };
}

/** A task's state (one row), or undefined when there is no such task. */
export async function getTaskStateOf(ctx: StoreContext, taskId: string): Promise<TaskState | undefined> {
  const r = await ctx.query<{ state: TaskState }>(getTaskState, [taskId]);
  return r.rows[0]?.state;
}

export async function listTaskRecords(ctx: StoreContext, f: TaskFilter): Promise<TaskPage> {
  assertStorableText('namespace', f.namespace);
  assertStorableText('name', f.name);
  assertStorableText('version', f.version);
  for (const [i, tag] of (f.tags ?? []).entries()) assertStorableText(`tags[${i}]`, tag);
  assertStorableText('annotation_type', f.annotationType);
  assertStorableText('owner', f.owner);
  assertStorableJson('annotations', f.annotations);
  const by = f.sortBy ?? 'createdAt';
  const order = f.sortOrder ?? 'desc';
  const offset = Math.max(Math.trunc(f.offset ?? 0), 0);
  const after = f.cursor === undefined ? undefined : decodeCursor(f.cursor, by, order);
  if (after !== undefined && offset > 0) {
    throw new TaskerError('INPUT_INVALID', 'offset: cannot be combined with cursor');
  }
  const states = f.state === undefined ? null : typeof f.state === 'string' ? [f.state] : [...f.state];
  const limit = Math.min(Math.max(Math.trunc(f.limit ?? 50), 1), 500);
  const withContext = f.include === 'context' || f.include === 'contextText';
  const r = await ctx.query(listTasksSorted[by][order], [
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
    offset,
    after?.key ?? null,
    after?.createdAt ?? null,
    after?.id ?? null,
    withContext,
    Math.max(Math.trunc(f.maxBytes ?? DEFAULT_PAGE_BYTES), 1),
    f.owner ?? null,
  ]);
  const first = r.rows[0];
  const rows = r.rows.filter((row) => row.id !== null);
  const tasks: TaskListItem[] = rows.map((row): TaskListItem => {
    if (!withContext) return taskSummaryFrom(row);
    const context = String(row.context);
    const annotations = String(row.annotations);
    return f.include === 'contextText'
      ? { ...taskSummaryFrom(row), contextText: context, annotationsText: annotations }
      : { ...taskSummaryFrom(row), context: JSON.parse(context), annotations: JSON.parse(annotations) };
  });
  const last = tasks.at(-1);
  return {
    tasks,
    total: first === undefined ? 0 : num(first.total),
    nextCursor:
      last !== undefined && rows.length < num(first?.fetched) ? encodeCursor(last, by, order) : undefined,
  };
}

/**
 * A cursor names the last row of a page: its sort key (as text), its `created_at` and its id,
 * with the order it was made for, as base64url JSON. It is opaque to clients.
 */
function encodeCursor(last: TaskSummary, by: TaskSortKey, order: 'asc' | 'desc'): string {
  const key = sortKeyText(last, by);
  return Buffer.from(JSON.stringify([by, order, key, last.createdAt, last.id])).toString('base64url');
}

function sortKeyText(t: TaskSummary, by: TaskSortKey): string | null {
  switch (by) {
    case 'createdAt':
      return null;
    case 'updatedAt':
      return String(t.updatedAt);
    case 'completedAt':
      return t.completedAt === undefined ? null : String(t.completedAt);
    default:
      return t[by];
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Digits that a PostgreSQL `bigint` holds (the time key of a cursor). */
function isBigint(text: string): boolean {
  if (!/^-?\d{1,19}$/.test(text)) return false;
  const value = BigInt(text);
  return value >= -9_223_372_036_854_775_808n && value <= 9_223_372_036_854_775_807n;
}

function decodeCursor(
  cursor: string,
  by: TaskSortKey,
  order: 'asc' | 'desc',
): { key: string | null; createdAt: number; id: string } {
  const refuse = (why: string): never => {
    throw new TaskerError('INPUT_INVALID', `cursor: ${why}`);
  };
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) refuse('expected a cursor from a previous page');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    if (error instanceof TaskerError) throw error;
    refuse('expected a cursor from a previous page');
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) return refuse('expected a cursor from a previous page');
  const [cBy, cOrder, key, createdAt, id] = parsed as unknown[];
  if (cBy !== by || cOrder !== order) {
    return refuse(`was made for sorting by ${String(cBy)} ${String(cOrder)}, not ${by} ${order}`);
  }
  const keyOk =
    by === 'createdAt' || (by === 'completedAt' && key === null)
      ? key === null
      : typeof key === 'string' &&
        textProblem(key) === undefined &&
        (by === 'namespace' || by === 'name' || by === 'state' || isBigint(key));
  if (!keyOk || !Number.isSafeInteger(createdAt) || typeof id !== 'string' || !UUID.test(id)) {
    return refuse('expected a cursor from a previous page');
  }
  return { key: key as string | null, createdAt: createdAt as number, id };
}
