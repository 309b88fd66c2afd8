/**
 * The Tasks page: summaries of tasks, newest first, filtered by state, namespace, name and
 * creation time, a page at a time (cursor pagination through `GET /tasks`), kept up to date by
 * the live feed without a reload. Each row links to the task's page.
 */

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { type LiveStatus, openLiveFeed } from './live-feed';
import { Loaded } from './loaded';
import { taskHref } from './routes';
import { stateIcon, stateLabel } from './state-look';
import {
  type Applied,
  applyEvents,
  filtersHref,
  filtersOf,
  liveRows,
  loadTasks,
  SINCE,
  TASK_STATES,
  type TaskFilters,
  type TaskPage,
  type TaskState,
} from './tasks-data';

/** `in progress` → `In progress`: a state's words (state-look.ts) at the start of a cell. */
const capitalized = (state: string) => {
  const label = stateLabel(state);
  return label.charAt(0).toUpperCase() + label.slice(1);
};

const LIVE_TEXT: Readonly<Record<LiveStatus, string>> = {
  connecting: 'Connecting…',
  open: 'Live',
  retrying: 'Reconnecting…',
  denied: 'Not live: the token lacks tasker.events:index',
};

/** The shortest time between two re-reads of the list that events ask for, ms. */
const REREAD_MS = 2_000;

const when = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toLocaleString() : '');

export function StateBadge(props: { readonly state: TaskState }) {
  // The same icon and words as the Task page's (state-look.ts): never colour alone.
  return (
    <span class={`state state-${props.state}`} data-state={props.state}>
      <span aria-hidden="true">{stateIcon(props.state)}</span> {capitalized(props.state)}
    </span>
  );
}

function Filters(props: { readonly filters: TaskFilters }) {
  const [f, setF] = useState(props.filters);
  const apply = (next: TaskFilters) => {
    location.hash = filtersHref(next);
  };
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply(f);
      }}
    >
      <label>
        State{' '}
        <select
          name="state"
          value={f.state ?? ''}
          onChange={(e) =>
            apply({ ...f, state: (e.currentTarget.value || undefined) as TaskState | undefined })
          }
        >
          <option value="">Any</option>
          {TASK_STATES.map((s) => (
            <option key={s} value={s}>
              {capitalized(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Namespace{' '}
        <input
          name="namespace"
          value={f.namespace}
          onInput={(e) => setF({ ...f, namespace: e.currentTarget.value })}
        />
      </label>
      <label>
        Name <input name="name" value={f.name} onInput={(e) => setF({ ...f, name: e.currentTarget.value })} />
      </label>
      <label>
        Created{' '}
        <select name="since" value={f.since} onChange={(e) => apply({ ...f, since: e.currentTarget.value })}>
          <option value="">Any time</option>
          {Object.entries(SINCE).map(([key, s]) => (
            <option key={key} value={key}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}

function TaskTable(props: {
  readonly page: TaskPage;
  readonly reload: () => void;
  readonly filters: TaskFilters;
  readonly firstPage: boolean;
  readonly createdFrom: number | undefined;
}) {
  const live = useMemo(() => liveRows(props.page.tasks), [props.page]);
  const [, setTick] = useState(0);
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [received, setReceived] = useState(0);
  // The feed outlives renders; it reads the latest props through this.
  const current = useRef({ ...props, live });
  current.current = { ...props, live };
  useEffect(() => {
    let lastReread = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const reread = () => {
      if (pending !== undefined) return;
      pending = setTimeout(
        () => {
          pending = undefined;
          lastReread = Date.now();
          current.current.reload();
        },
        Math.max(0, lastReread + REREAD_MS - Date.now()),
      );
    };
    const close = openLiveFeed({
      onEvents(events) {
        const c = current.current;
        const applied: Applied = applyEvents(c.live, events, c.filters, c.firstPage, c.createdFrom);
        setReceived((n) => n + events.length);
        if (applied.changed) setTick((t) => t + 1);
        if (applied.reread) reread();
      },
      onStatus: setStatus,
      onOpen: () => current.current.reload(),
    });
    return () => {
      close();
      if (pending !== undefined) clearTimeout(pending);
    };
  }, []);

  return (
    <>
      <p class={`live live-${status}`} role="status" data-live={status} data-received={received}>
        <span aria-hidden="true">{status === 'open' ? '●' : '○'} </span>
        {LIVE_TEXT[status]}
      </p>
      {live.rows.length === 0 ? (
        <p class="empty">No task matches these filters.</p>
      ) : (
        <table class="tasks">
          <caption class="summary">
            {props.page.pagination.total} task{props.page.pagination.total === 1 ? '' : 's'} match; newest
            first.
          </caption>
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Task</th>
              <th scope="col">Id</th>
              <th scope="col">Created</th>
              <th scope="col">Updated</th>
              <th scope="col">Latest step</th>
            </tr>
          </thead>
          <tbody>
            {live.rows.map((r) => (
              <tr key={r.id} data-task-id={r.id} data-status={r.status}>
                <td>
                  <StateBadge state={r.status} />
                </td>
                <td>
                  <span class="namespace">{r.namespace}</span>
                  <span class="sep">.</span>
                  {r.name} <span class="version">{r.version}</span>
                </td>
                <td>
                  <a class="task-id" href={taskHref(r.id)} aria-label={`Task ${r.id}`}>
                    {r.id.slice(0, 8)}
                  </a>
                </td>
                <td>{when(r.createdAt)}</td>
                <td>{when(r.updatedAt)}</td>
                <td class="latest">{r.latest ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** The list under one set of filters; a change of filters makes a new one (see main.tsx). */
function TasksView(props: { readonly filters: TaskFilters }) {
  const { filters } = props;
  // The time filter's start is fixed when the filters are, so that every page agrees on it.
  const createdFrom = useMemo(() => {
    const since = SINCE[filters.since];
    return since === undefined ? undefined : Date.now() - since.ms;
  }, [filters.since]);
  // Cursors of the pages visited, the current one last (undefined: the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const from = createdFrom === undefined ? undefined : new Date(createdFrom).toISOString();
  return (
    <Loaded load={() => loadTasks(filters, from, cursor)} keyOf={`${cursors.length}:${cursor ?? ''}`}>
      {(page, reload) => (
        <>
          <TaskTable
            page={page}
            reload={reload}
            filters={filters}
            firstPage={cursor === undefined}
            createdFrom={createdFrom}
          />
          <nav class="pager" aria-label="Pages of tasks">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors(cursors.slice(0, -1))}
            >
              ← Newer
            </button>
            <span>Page {cursors.length}</span>
            <button
              type="button"
              disabled={page.pagination.next_cursor === null}
              onClick={() => setCursors([...cursors, page.pagination.next_cursor ?? undefined])}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </Loaded>
  );
}

export function TasksPage(props: { readonly query: URLSearchParams }) {
  const filters = filtersOf(props.query);
  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks</h1>
      <Filters key={filtersHref(filters)} filters={filters} />
      <TasksView key={filtersHref(filters)} filters={filters} />
    </section>
  );
}
