/**
 * `tasker schedules list|show|add|pause|resume|remove` (issue #14): each one call of the
 * schedule routes, remote (`--api`) or in-process over the configured store (`--config`, and
 * `--tasks` for `add`, whose task and context are checked against the definitions). Slots fire
 * in the processes that run workers (`tasker serve`), not in this one.
 */
import { CliError, EXIT } from './cli-error';
import { parseTaskRef, withConnection } from './commands';
import type { ConnectionOptions } from './connection';
import { table } from './format';
import { readJsonOption } from './run-command';

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

/** A schedule as the API answers it (the fields printed here). */
interface ScheduleWire {
  name: string;
  source: string;
  definition_version: string | null;
  namespace: string;
  task_name: string;
  task_version: string;
  cron: string;
  timezone: string;
  context: unknown;
  catch_up: string;
  catch_up_limit: number;
  paused: boolean;
  covered_until: string;
  next_at: string | null;
  last_slot: string | null;
  last_task_id: string | null;
  fired: number;
  skipped: number;
  last_error: string | null;
  updated_at: string;
  updated_by: string | null;
}

const path = (name: string) => `/schedules/${encodeURIComponent(name)}`;
const catchUp = (s: ScheduleWire) => (s.catch_up === 'all' ? `all (≤ ${s.catch_up_limit})` : s.catch_up);
const task = (s: ScheduleWire) => `${s.namespace}.${s.task_name}@${s.task_version}`;

/** `tasker schedules list`. */
export async function schedulesListCommand(options: ConnectionOptions & { json?: boolean }): Promise<void> {
  await withConnection('schedules list', options, async ({ client }) => {
    const { schedules } = await client.request<{ schedules: ScheduleWire[] }>('GET', '/schedules');
    if (options.json) return printJson(schedules);
    if (schedules.length === 0) return print('no schedules');
    print(
      table(
        [
          'NAME',
          'CRON',
          'TIME ZONE',
          'TASK',
          'CATCH-UP',
          'STATE',
          'NEXT',
          'LAST',
          'FIRED',
          'SKIPPED',
          'SOURCE',
        ],
        schedules.map((s) => [
          s.name,
          s.cron,
          s.timezone,
          task(s),
          catchUp(s),
          s.paused ? 'paused' : 'active',
          s.next_at ?? 'never',
          s.last_slot ?? '-',
          String(s.fired),
          String(s.skipped),
          s.source === 'code' ? `code ${s.definition_version ?? ''}`.trim() : 'api',
        ]),
      ),
    );
  });
}

function details(s: ScheduleWire): string {
  const rows: [string, string][] = [
    ['schedule', s.name],
    ['source', s.source === 'code' ? `code (task definition ${s.definition_version})` : 'api'],
    ['cron', `${s.cron} (${s.timezone})`],
    ['task', task(s)],
    ['context', JSON.stringify(s.context)],
    ['catch-up', catchUp(s)],
    ['state', s.paused ? 'paused' : 'active'],
    ['next slot', s.next_at ?? 'never'],
    ['last slot fired', s.last_slot === null ? '-' : `${s.last_slot} (task ${s.last_task_id})`],
    ['covered until', s.covered_until],
    ['fired / skipped', `${s.fired} / ${s.skipped}`],
    ['updated', `${s.updated_at}${s.updated_by === null ? '' : ` by ${s.updated_by}`}`],
  ];
  if (s.last_error !== null) rows.push(['last error', s.last_error]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** `tasker schedules show <name>`. */
export async function schedulesShowCommand(
  name: string,
  options: ConnectionOptions & { json?: boolean },
): Promise<void> {
  await withConnection('schedules show', options, async ({ client }) => {
    const s = await client.request<ScheduleWire>('GET', path(name));
    print(options.json ? JSON.stringify(s, null, 2) : details(s));
  });
}

/** Options of `tasker schedules add`. */
export interface ScheduleAddOptions extends ConnectionOptions {
  readonly cron?: string;
  readonly timezone?: string;
  readonly context?: string;
  readonly catchUp?: string;
  readonly catchUpLimit?: string;
  readonly paused?: boolean;
  readonly json?: boolean;
}

/** `tasker schedules add <name> <task> --cron <expr>`. */
export async function schedulesAddCommand(
  name: string,
  taskRef: string,
  options: ScheduleAddOptions,
): Promise<void> {
  if (options.cron === undefined) throw new CliError('--cron <expression> is required', EXIT.usage);
  const ref = parseTaskRef(taskRef);
  let limit: number | undefined;
  if (options.catchUpLimit !== undefined) {
    limit = Number(options.catchUpLimit);
    if (!Number.isInteger(limit)) {
      throw new CliError(
        `--catch-up-limit: expected an integer, received "${options.catchUpLimit}"`,
        EXIT.usage,
      );
    }
  }
  const body = {
    name,
    cron: options.cron,
    namespace: ref.namespace,
    task_name: ref.name,
    ...(ref.version === undefined ? {} : { version: ref.version }),
    ...(options.timezone === undefined ? {} : { timezone: options.timezone }),
    ...(options.context === undefined ? {} : { context: await readJsonOption('--context', options.context) }),
    ...(options.catchUp === undefined ? {} : { catch_up: options.catchUp }),
    ...(limit === undefined ? {} : { catch_up_limit: limit }),
    ...(options.paused ? { paused: true } : {}),
  };
  await withConnection('schedules add', options, async ({ client }) => {
    const s = await client.request<ScheduleWire>('POST', '/schedules', body);
    if (options.json) return printJson(s);
    print(`added schedule ${s.name}: ${s.cron} (${s.timezone}) → ${task(s)}, catch-up ${catchUp(s)}`);
    print(s.paused ? 'paused: it fires nothing until resumed' : `next slot: ${s.next_at ?? 'never'}`);
  });
}

/** `tasker schedules pause|resume|remove <name>`. */
export function schedulesActionCommand(action: 'pause' | 'resume' | 'remove') {
  return async (name: string, options: ConnectionOptions & { json?: boolean }): Promise<void> => {
    await withConnection(`schedules ${action}`, options, async ({ client }) => {
      const s =
        action === 'remove'
          ? await client.request<ScheduleWire>('DELETE', path(name))
          : await client.request<ScheduleWire>('POST', `${path(name)}/${action}`);
      if (options.json) return printJson(s);
      if (action === 'pause') print(`paused schedule ${s.name}: it fires nothing until resumed`);
      else if (action === 'resume') {
        print(
          `resumed schedule ${s.name}: slots missed while it was paused follow its catch-up (${catchUp(s)}); next slot ${s.next_at ?? 'never'}`,
        );
      } else {
        print(`removed schedule ${s.name} (${s.fired} tasks fired; they stay)`);
        if (s.source === 'code') {
          print('it is defined in code: the next engine that starts with that definition writes it again');
        }
      }
    });
  };
}
