/** The read commands: `handlers`, `graph`, `tasks`, `task`, and `migrate`. */
import { MIGRATIONS } from '../store/migrations';
import { CliError, EXIT } from './cli-error';
import { type ConnectionOptions, connect } from './connection';
import {
  type GraphWire,
  graphDot,
  graphMermaid,
  graphText,
  type TaskWire,
  table,
  taskDetails,
  taskLine,
} from './format';
import { openLocal, storeDescription } from './local-runtime';

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

/** `namespace.name@version` (version optional) → its parts. */
export function parseTaskRef(spec: string): { namespace: string; name: string; version: string | undefined } {
  const match = /^([A-Za-z0-9_][A-Za-z0-9_:-]*)\.([A-Za-z0-9_][A-Za-z0-9_.:-]*)(?:@(.+))?$/.exec(spec);
  if (match === null) {
    throw new CliError(
      `expected a task as <namespace.name@version>, e.g. shop.checkout@1.0.0, received "${spec}"`,
      EXIT.usage,
    );
  }
  return { namespace: match[1] as string, name: match[2] as string, version: match[3] };
}

/** Runs `body` with a connection (remote or local, see `./connection.ts`) and closes it after. */
export async function withConnection<T>(
  command: string,
  options: ConnectionOptions,
  body: (c: Awaited<ReturnType<typeof connect>>) => Promise<T>,
  local: { openStore?: boolean } = {},
): Promise<T> {
  const connection = await connect(command, options, local);
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

interface NamespaceList {
  namespaces: { name: string }[];
}
interface NamespaceHandlers {
  handlers: {
    namespace: string;
    name: string;
    versions: string[];
    latest_version: string;
    step_count: number;
    description: string | null;
  }[];
}

export async function handlersCommand(options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withConnection(
    'handlers',
    options,
    async ({ client }) => {
      const { namespaces } = await client.request<NamespaceList>('GET', '/handlers');
      const all: NamespaceHandlers['handlers'] = [];
      for (const ns of namespaces) {
        all.push(
          ...(await client.request<NamespaceHandlers>('GET', `/handlers/${encodeURIComponent(ns.name)}`))
            .handlers,
        );
      }
      if (options.json) return printJson(all);
      if (all.length === 0) return print('No task handlers are registered.');
      print(
        table(
          ['HANDLER', 'LATEST', 'VERSIONS', 'STEPS', 'DESCRIPTION'],
          all.map((h) => [
            `${h.namespace}.${h.name}`,
            h.latest_version,
            h.versions.join(', '),
            String(h.step_count),
            h.description ?? '',
          ]),
        ),
      );
    },
    { openStore: false },
  );
}

export async function graphCommand(
  spec: string,
  options: ConnectionOptions & { format?: string },
): Promise<void> {
  const format = options.format ?? 'text';
  if (!['text', 'mermaid', 'dot'].includes(format)) {
    throw new CliError(`--format: expected text, mermaid or dot, received "${format}"`, EXIT.usage);
  }
  const ref = parseTaskRef(spec);
  await withConnection(
    'graph',
    options,
    async ({ client }) => {
      const query = ref.version === undefined ? '' : `?version=${encodeURIComponent(ref.version)}`;
      const handler = await client.request<GraphWire>(
        'GET',
        `/handlers/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}${query}`,
      );
      print(
        format === 'mermaid'
          ? graphMermaid(handler)
          : format === 'dot'
            ? graphDot(handler)
            : graphText(handler),
      );
    },
    { openStore: false },
  );
}

export async function tasksCommand(
  options: ConnectionOptions & {
    status?: string;
    namespace?: string;
    name?: string;
    limit?: string;
    offset?: string;
    cursor?: string;
    createdFrom?: string;
    createdBefore?: string;
    context?: boolean;
    json?: boolean;
  },
): Promise<void> {
  const query = new URLSearchParams();
  for (const key of ['status', 'namespace', 'name', 'limit', 'offset', 'cursor'] as const) {
    const value = options[key];
    if (value !== undefined) query.set(key, value);
  }
  if (options.createdFrom !== undefined) query.set('created_from', options.createdFrom);
  if (options.createdBefore !== undefined) query.set('created_before', options.createdBefore);
  if (options.context) query.set('include', 'context');
  await withConnection('tasks', options, async ({ client }) => {
    const page = await client.request<{
      tasks: TaskWire[];
      pagination: { total: number; offset: number; next_cursor: string | null };
    }>('GET', `/tasks${query.size > 0 ? `?${query}` : ''}`);
    if (options.json) return printJson(page);
    if (page.tasks.length === 0) return print(`No tasks (total ${page.pagination.total}).`);
    print(table(['TASK', 'HANDLER', 'STATUS', 'CREATED'], page.tasks.map(taskLine)));
    const { total, offset, next_cursor: next } = page.pagination;
    print(
      options.cursor === undefined
        ? `${offset + 1}–${offset + page.tasks.length} of ${total}`
        : `${page.tasks.length} of ${total}`,
    );
    if (next !== null) print(`next page: --cursor ${next}`);
  });
}

export async function taskCommand(
  id: string,
  options: ConnectionOptions & { dependencies?: boolean; json?: boolean },
): Promise<void> {
  await withConnection('task', options, async ({ client }) => {
    const task = await client.request<TaskWire & { dependency_analysis?: unknown }>(
      'GET',
      `/tasks/${encodeURIComponent(id)}${options.dependencies ? '?include_dependencies=true' : ''}`,
    );
    if (options.json) return printJson(task);
    print(taskDetails(task));
    if (task.dependency_analysis !== undefined) {
      const a = task.dependency_analysis as {
        critical_path: {
          steps: string[];
          duration_ms: number;
          spans: { step: string; duration_ms: number; attempts: number }[];
        };
        blocked_steps: { name: string; blocked_by: { name: string; status: string }[] }[];
      };
      // Each step from its first claim to its last settle, retries and backoff included.
      const spans = a.critical_path.spans.map(
        (s) => `${s.step} ${s.duration_ms} ms${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`,
      );
      print(`\ncritical path: ${a.critical_path.steps.join(' → ')} (${a.critical_path.duration_ms} ms)`);
      if (spans.length > 0) print(`  ${spans.join(', ')}`);
      for (const b of a.blocked_steps) {
        print(`blocked: ${b.name} by ${b.blocked_by.map((x) => `${x.name} (${x.status})`).join(', ')}`);
      }
    }
  });
}

export async function migrateCommand(options: { config?: string }): Promise<void> {
  // Opening the store applies its pending migrations (in a transaction, under an advisory lock);
  // its migrate() answers with what that opening applied.
  const local = await openLocal('migrate', { config: options.config });
  try {
    const store = await local.tasker.store();
    const applied = new Set(await store.migrate());
    const pending = await store.insights.pendingMigrations();
    if (pending.length > 0) throw new CliError(`migrations still pending: ${pending.join(', ')}`);
    const names = (ids: (id: number) => boolean) =>
      MIGRATIONS.filter((m) => ids(m.id))
        .map((m) => `${m.id} ${m.name}`)
        .join(', ');
    const where = storeDescription(local.config);
    print(
      applied.size === 0
        ? `${where}: already up to date (migrations: ${names(() => true)})`
        : `${where}: applied ${applied.size} migration${applied.size === 1 ? '' : 's'}: ${names((id) => applied.has(id))}`,
    );
  } finally {
    await local.close();
  }
}
