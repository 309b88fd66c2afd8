/**
 * `tasker run <namespace.name@version>`: submits a task, prints each step's state changes as
 * they happen, and exits 0 when the task completes (or is resolved), 1 when it ends in error
 * or is cancelled, 1 on timeout. Against `--api`, the server's workers run it; otherwise this
 * process starts workers of its own on the configured store.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT } from './cli-error';
import { parseTaskRef } from './commands';
import { type ConnectionOptions, connect } from './connection';
import { type TaskWire, taskDetails } from './format';

/** Options of `tasker run`. */
export interface RunOptions extends ConnectionOptions {
  readonly context?: string;
  readonly identityKey?: string;
  readonly tag?: readonly string[];
  readonly reason?: string;
  readonly runAt?: string;
  readonly priority?: string;
  readonly timeout?: string;
  readonly pollMs?: string;
  readonly json?: boolean;
}

const FINAL = new Set(['complete', 'error', 'cancelled', 'resolved_manually']);
const print = (text: string) => process.stdout.write(`${text}\n`);

/** `--context '{"a":1}'` or `--context @file.json`. */
export async function readContext(value: string | undefined): Promise<unknown> {
  return value === undefined ? {} : readJsonOption('--context', value);
}

/** The value of a JSON option (`--context`, `--result`): JSON text, or `@path` to a JSON file. */
export async function readJsonOption(option: string, value: string): Promise<unknown> {
  let text = value;
  let source = option;
  if (value.startsWith('@')) {
    source = `${option} ${value}`;
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (error) {
      throw new CliError(`${source}: cannot read the file: ${(error as Error).message}`, EXIT.usage);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${source}: not valid JSON: ${(error as Error).message}`, EXIT.usage);
  }
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`${name}: expected a positive number, received "${value}"`, EXIT.usage);
  return n;
}

/** An integer option's value (the API checks its range and names the field). */
function integerOption(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || value.trim() === '')
    throw new CliError(`${name}: expected an integer, received "${value}"`, EXIT.usage);
  return n;
}

export async function runCommand(spec: string, options: RunOptions): Promise<number> {
  const ref = parseTaskRef(spec);
  const context = await readContext(options.context);
  const timeoutMs = positiveNumber(options.timeout, '--timeout', 600) * 1_000;
  const pollMs = positiveNumber(options.pollMs, '--poll-ms', 200);
  const connection = await connect('run', options);
  try {
    const local = connection.local;
    if (local !== undefined) {
      // Without a store in the configuration the task runs in memory and is gone when this
      // command exits: say so, on stderr, so that --json output stays JSON.
      if (local.config.store.kind === 'pglite' && local.config.store.dataDir === undefined) {
        process.stderr.write(
          'tasker: no store configured: this run uses an in-memory PGlite store, and nothing persists after it exits (set store in --config, or TASKER_DATABASE_URL)\n',
        );
      }
      await local.tasker.start();
    }
    const { client } = connection;
    const created = await client.request<TaskWire>('POST', '/tasks', {
      namespace: ref.namespace,
      name: ref.name,
      version: ref.version ?? 'latest',
      context,
      initiator: 'tasker-cli',
      ...(options.identityKey === undefined ? {} : { identity_key: options.identityKey }),
      ...(options.tag === undefined || options.tag.length === 0 ? {} : { tags: [...options.tag] }),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.runAt === undefined ? {} : { run_at: options.runAt }),
      ...(options.priority === undefined ? {} : { priority: integerOption('--priority', options.priority) }),
    });
    const id = created.task_id;
    const started = Date.now();
    if (!options.json)
      print(`task ${id} (${created.namespace}.${created.name}@${created.version}) submitted`);
    const seen = new Map<string, string>();
    let task = created;
    for (;;) {
      for (const step of task.workflow_steps ?? []) {
        const waiting = step.waiting_reason?.message;
        const key = `${step.status}:${step.attempts}:${waiting ?? ''}`;
        if (seen.get(step.name) === key) continue;
        seen.set(step.name, key);
        if (options.json) continue;
        const elapsed = ((Date.now() - started) / 1_000).toFixed(2);
        const detail =
          step.status === 'waiting_for_retry' && step.next_attempt_at !== null
            ? ` (attempt ${step.attempts} failed: ${step.error?.message ?? 'error'}; next attempt at ${step.next_attempt_at})`
            : step.status === 'error'
              ? ` (${step.error?.name ?? 'Error'}: ${step.error?.message ?? ''})`
              : step.attempts > 1
                ? ` (attempt ${step.attempts})`
                : waiting !== undefined
                  ? ` (${waiting})`
                  : '';
        print(`[+${elapsed}s] ${step.name}: ${step.status}${detail}`);
      }
      if (FINAL.has(task.status)) break;
      if (Date.now() - started > timeoutMs) {
        throw new CliError(
          `task ${id} is still ${task.status} after ${timeoutMs / 1_000} s (--timeout)`,
          EXIT.failed,
        );
      }
      await sleep(pollMs);
      task = await client.request<TaskWire>('GET', `/tasks/${id}`);
    }
    if (options.json) print(JSON.stringify(task, null, 2));
    else {
      print(`\n${taskDetails(task)}`);
      print(`\ntask ${id} ${task.status} after ${((Date.now() - started) / 1_000).toFixed(2)} s`);
    }
    return task.status === 'complete' || task.status === 'resolved_manually' ? EXIT.ok : EXIT.failed;
  } finally {
    await connection.close();
  }
}
