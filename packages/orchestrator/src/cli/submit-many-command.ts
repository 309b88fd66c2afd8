/**
 * `tasker submit-many <file>`: submits every task of a file through `POST /tasks/batch`, and
 * prints the id of each, one line per task in file order.
 *
 * - The file holds `POST /tasks` bodies: JSON Lines (`.jsonl`, `.ndjson`: one per line, blank
 *   lines skipped), or JSON (an array of them, or `{ "tasks": [...] }`). All of it is read and
 *   checked for JSON before anything is sent.
 * - It is sent in requests of at most `--batch-size` tasks (1,000, the route's most) and about
 *   1,000,000 bytes (under the API's default 1 MiB body limit). Each request is one transaction:
 *   all its tasks are created, or none. Ids are printed as each request is answered, so when one
 *   is refused, the ids of the requests before it have been printed, and the error names the
 *   line (or element) at fault and where submitting stopped.
 * - A task whose `identity_key` matched an existing task prints that task's id (it counts as
 *   existing in the summary on stderr).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ApiClient } from './api-client';
import { CliError, EXIT } from './cli-error';
import { withConnection } from './commands';
import type { ConnectionOptions } from './connection';

/** Options of `tasker submit-many`. */
export interface SubmitManyCommandOptions extends ConnectionOptions {
  readonly batchSize?: string;
  readonly json?: boolean;
}

/** One task body of the file, and where it was: its line (JSON Lines) or its index (JSON). */
export interface FileTask {
  readonly body: Record<string, unknown>;
  /** `line 12` or `element 3`. */
  readonly where: string;
}

/** The most tasks `POST /tasks/batch` takes in one request. */
const ROUTE_MAX_TASKS = 1_000;
/** Requests are kept under this many bytes of JSON (the API's default limit is 1,048,576). */
export const MAX_REQUEST_BYTES = 1_000_000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The task bodies of a file's text (see the top of this file); `name` decides the format. */
export function parseTaskFile(text: string, name: string): FileTask[] {
  const lines = ['.jsonl', '.ndjson'].includes(extname(name).toLowerCase());
  const out: FileTask[] = [];
  if (lines) {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new CliError(`${name}, line ${i + 1}: not valid JSON: ${(error as Error).message}`, EXIT.usage);
      }
      if (!isObject(value))
        throw new CliError(`${name}, line ${i + 1}: expected a task (a JSON object)`, EXIT.usage);
      out.push({ body: value, where: `line ${i + 1}` });
    });
    return out;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `${name}: not valid JSON (${(error as Error).message}); a .jsonl file holds one task per line`,
      EXIT.usage,
    );
  }
  const list = isObject(value) && Array.isArray(value.tasks) ? value.tasks : value;
  if (!Array.isArray(list))
    throw new CliError(`${name}: expected an array of tasks, or { "tasks": [...] }`, EXIT.usage);
  list.forEach((item: unknown, i) => {
    if (!isObject(item))
      throw new CliError(`${name}, element ${i}: expected a task (a JSON object)`, EXIT.usage);
    out.push({ body: item, where: `element ${i}` });
  });
  return out;
}

/** `tasks` cut into requests of at most `maxCount` tasks and `maxBytes` bytes of JSON (one task alone may exceed it). */
export function chunkTasks(tasks: readonly FileTask[], maxCount: number, maxBytes: number): FileTask[][] {
  const chunks: FileTask[][] = [];
  let current: FileTask[] = [];
  let bytes = '{"tasks":[]}'.length;
  for (const task of tasks) {
    const size = Buffer.byteLength(JSON.stringify(task.body)) + 1;
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = '{"tasks":[]}'.length;
    }
    current.push(task);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface BatchItem {
  task_id: string | null;
  created: boolean;
  error?: { code: string; field: string; message: string };
}
interface Problem {
  code?: string;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** A refused request's problem, with `tasks[i]` turned into the file's line or element. */
function refusal(
  name: string,
  chunk: readonly FileTask[],
  status: number,
  problem: Problem,
  done: number,
): CliError {
  // `tasks[3].context.x` → `line 1004: context.x`.
  const place = (field: string) =>
    field.replace(/^tasks\[(\d+)\](\.)?/, (_, i: string, dot?: string) => {
      const where = chunk[Number(i)]?.where ?? `task ${i}`;
      return dot === undefined ? where : `${where}: `;
    });
  const fields = (problem.errors ?? []).map((e) => `\n  ${place(e.field)}: ${e.message}`).join('');
  const stopped =
    done === 0
      ? 'nothing was submitted'
      : `the ${done} tasks before it were submitted (their ids are printed above)`;
  const tooLarge =
    status === 413
      ? ` (the server's body limit: try a smaller --batch-size; ${chunk.length} tasks were in it)`
      : '';
  return new CliError(
    `${name}: a request of ${chunk.length} tasks, from ${chunk[0]?.where}, was refused: ${status} ${problem.code ?? ''}${tooLarge}; ${stopped}, none from ${chunk[0]?.where} on${fields}`,
    EXIT.failed,
  );
}

function batchSizeOf(value: string | undefined): number {
  if (value === undefined) return ROUTE_MAX_TASKS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > ROUTE_MAX_TASKS)
    throw new CliError(
      `--batch-size: expected an integer from 1 to ${ROUTE_MAX_TASKS}, received "${value}"`,
      EXIT.usage,
    );
  return n;
}

/** Sends `chunk`, answering its tasks in order, or throws naming the task at fault. */
async function sendChunk(
  client: ApiClient,
  name: string,
  chunk: readonly FileTask[],
  done: number,
): Promise<BatchItem[]> {
  const { status, body } = await client.answer<{ tasks: BatchItem[] } & Problem>(
    'POST',
    '/tasks/batch',
    [200, 201, 400, 413, 422],
    { tasks: chunk.map((t) => t.body) },
  );
  if (status !== 200 && status !== 201) throw refusal(name, chunk, status, body, done);
  return body.tasks;
}

export async function submitManyCommand(file: string, options: SubmitManyCommandOptions): Promise<number> {
  const batchSize = batchSizeOf(options.batchSize);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`${file}: cannot read the file: ${(error as Error).message}`, EXIT.usage);
  }
  const tasks = parseTaskFile(text, file);
  if (tasks.length === 0) throw new CliError(`${file}: no task in it`, EXIT.usage);
  const chunks = chunkTasks(tasks, batchSize, MAX_REQUEST_BYTES);
  return withConnection('submit-many', options, async ({ client, local }) => {
    if (local?.config.store.kind === 'pglite' && local.config.store.dataDir === undefined) {
      process.stderr.write(
        'tasker: no store configured: these tasks go to an in-memory PGlite store, gone when this command exits (set store in --config, or TASKER_DATABASE_URL)\n',
      );
    }
    const results: (BatchItem & { where: string })[] = [];
    let refused = 0;
    for (const chunk of chunks) {
      const answered = await sendChunk(client, file, chunk, results.length);
      answered.forEach((item, i) => {
        const where = chunk[i]?.where ?? '?';
        results.push({ ...item, where });
        if (item.error !== undefined) {
          refused++;
          process.stderr.write(`tasker: ${file}, ${where}: ${item.error.code}: ${item.error.message}\n`);
        }
        if (!options.json) process.stdout.write(`${item.task_id ?? '-'}\n`);
      });
    }
    if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    const created = results.filter((r) => r.created).length;
    const existing = results.length - created - refused;
    process.stderr.write(
      `submitted ${results.length} tasks from ${file} in ${chunks.length} request${chunks.length === 1 ? '' : 's'}: ${created} created, ${existing} existing (same identity_key)${refused > 0 ? `, ${refused} refused` : ''}\n`,
    );
    return refused > 0 ? EXIT.failed : EXIT.ok;
  });
}
