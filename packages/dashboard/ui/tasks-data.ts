/**
 * The task list's data: its filters (in the URL's fragment, `#tasks?state=error&namespace=shop`),
 * a page of summaries from `GET /tasks` (cursor pagination, no contexts), and the live events
 * applied to the rows shown.
 *
 * Events are applied in transition order per task: a row remembers the transition id of the
 * last task event and of the last step event it applied, and an event of an older transition
 * changes nothing. The feed can bring one event twice (the tap's copy and the audit's, should the
 * audit win the race) and, with several processes, an older transition after a newer one; with
 * this rule neither turns a row back.
 */
import { getJson } from './api-client';
import type { LiveEvent } from './live-feed';
import { TASK_STATES, type TaskState } from './task-types';

export { TASK_STATES, type TaskState };

/** The creation-time ranges the page offers: `since` value → milliseconds. */
export const SINCE: Readonly<Record<string, { readonly label: string; readonly ms: number }>> = {
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
};

export interface TaskFilters {
  readonly state: TaskState | undefined;
  readonly namespace: string;
  readonly name: string;
  /** A key of {@link SINCE}, or '' for any time. */
  readonly since: string;
}

/** The filters of the fragment's query; unknown values are dropped. */
export function filtersOf(query: URLSearchParams): TaskFilters {
  const state = query.get('state') ?? '';
  const since = query.get('since') ?? '';
  return {
    state: (TASK_STATES as readonly string[]).includes(state) ? (state as TaskState) : undefined,
    namespace: (query.get('namespace') ?? '').trim(),
    name: (query.get('name') ?? '').trim(),
    since: since in SINCE ? since : '',
  };
}

/** The fragment for these filters. */
export function filtersHref(f: TaskFilters): string {
  const q = new URLSearchParams();
  if (f.state !== undefined) q.set('state', f.state);
  if (f.namespace !== '') q.set('namespace', f.namespace);
  if (f.name !== '') q.set('name', f.name);
  if (f.since !== '') q.set('since', f.since);
  const text = q.toString();
  return text === '' ? '#tasks' : `#tasks?${text}`;
}

/** A task of the list, as `GET /tasks` gives it (the fields the page shows). */
export interface TaskSummary {
  readonly task_id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly status: TaskState;
  readonly created_at: string;
  readonly updated_at: string;
  readonly completed_at: string | null;
}

export interface TaskPage {
  readonly tasks: readonly TaskSummary[];
  readonly pagination: { readonly total: number; readonly next_cursor: string | null };
}

/** Tasks per page. */
export const PAGE_SIZE = 25;

/** Reads one page, newest first. `createdFrom` is fixed by the caller, so that pages agree. */
export function loadTasks(
  f: TaskFilters,
  createdFrom: string | undefined,
  cursor: string | undefined,
): Promise<TaskPage> {
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), sort_by: 'created_at', sort_order: 'desc' });
  if (f.state !== undefined) q.set('status', f.state);
  if (f.namespace !== '') q.set('namespace', f.namespace);
  if (f.name !== '') q.set('name', f.name);
  if (createdFrom !== undefined) q.set('created_from', createdFrom);
  if (cursor !== undefined) q.set('cursor', cursor);
  return getJson<TaskPage>(`/tasks?${q}`);
}

/** A row on the page: the summary, kept up to date by live events. */
export interface TaskRow {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  status: TaskState;
  readonly createdAt: number;
  updatedAt: number;
  /** The last step transition seen live: `charge → complete`. */
  latest: string | undefined;
  /** Transition ids of the last task and step events applied. */
  taskMark: number;
  stepMark: number;
}

export function rowOf(t: TaskSummary): TaskRow {
  return {
    id: t.task_id,
    namespace: t.namespace,
    name: t.name,
    version: t.version,
    status: t.status,
    createdAt: Date.parse(t.created_at),
    updatedAt: Date.parse(t.updated_at),
    latest: undefined,
    taskMark: 0,
    stepMark: 0,
  };
}

/** The rows of a page, by id, in the order shown. */
export interface LiveRows {
  readonly rows: TaskRow[];
  readonly byId: Map<string, TaskRow>;
}

export function liveRows(tasks: readonly TaskSummary[]): LiveRows {
  const rows = tasks.map(rowOf);
  return { rows, byId: new Map(rows.map((r) => [r.id, r])) };
}

/** What applying a batch found: whether a row changed, and whether the list must be re-read. */
export interface Applied {
  readonly changed: boolean;
  readonly reread: boolean;
}

/** Rows the first page may grow to with new tasks before it is re-read instead. */
export const MAX_ROWS = 300;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * Applies a batch of events to the rows. New tasks that match the filters go on top when the
 * page is the first one (`createdFrom`: the time filter's start, epoch ms). A task not shown that
 * now matches the state filter asks for a re-read of the first page.
 */
export function applyEvents(
  live: LiveRows,
  events: readonly LiveEvent[],
  f: TaskFilters,
  firstPage: boolean,
  createdFrom: number | undefined,
): Applied {
  let changed = false;
  let reread = false;
  const added: TaskRow[] = [];
  for (const e of events) {
    if (e.task_id === null) continue;
    const transition = Number.parseInt(e.id, 10);
    const p = e.payload;
    const row = live.byId.get(e.task_id);
    if (e.name === 'task.before_transition') {
      const to = str(p.toState) as TaskState | undefined;
      if (to === undefined) continue;
      if (row !== undefined) {
        if (transition <= row.taskMark) continue;
        row.taskMark = transition;
        row.status = to;
        row.updatedAt = e.at;
        changed = true;
        continue;
      }
      if (!firstPage) continue;
      const matches =
        (f.state === undefined || f.state === to) &&
        (f.namespace === '' || f.namespace === p.namespace) &&
        (f.name === '' || f.name === p.taskName) &&
        (createdFrom === undefined || e.at >= createdFrom);
      if (!matches) continue;
      if (p.fromState !== null) {
        reread = true; // an older task now in the state asked for: its place is the API's to say
        continue;
      }
      const fresh: TaskRow = {
        id: e.task_id,
        namespace: str(p.namespace) ?? '',
        name: str(p.taskName) ?? '',
        version: str(p.version) ?? '',
        status: to,
        createdAt: e.at,
        updatedAt: e.at,
        latest: undefined,
        taskMark: transition,
        stepMark: 0,
      };
      live.byId.set(fresh.id, fresh);
      added.push(fresh);
      changed = true;
    } else if (e.name === 'step.before_transition' && row !== undefined && transition > row.stepMark) {
      row.stepMark = transition;
      const attempt = typeof p.attempt === 'number' && p.attempt > 1 ? ` (attempt ${p.attempt})` : '';
      row.latest = `${str(p.stepName) ?? 'step'} → ${str(p.toState) ?? '?'}${attempt}`;
      row.updatedAt = Math.max(row.updatedAt, e.at);
      changed = true;
    }
  }
  if (added.length > 0) live.rows.unshift(...added.reverse());
  if (live.rows.length > MAX_ROWS) reread = true;
  return { changed, reread };
}
