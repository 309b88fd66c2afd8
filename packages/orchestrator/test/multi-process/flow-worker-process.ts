/**
 * One engine process for the flow-control tests (issue #14): it runs the steps of
 * `flow-tasks.ts` against TASKER_MP_DATABASE_URL, with the engine's defaults (priority aging
 * included) except those below, until SIGTERM.
 *
 * - TASKER_MP_CONCURRENCY: handlers at once in this process (default 8).
 * - TASKER_MP_POLL_MS: the poll interval (default the engine's).
 * - TASKER_MP_LOG_CLAIMS=1: prints one line per claim statement,
 *   `claim\t<sent ms>\t<returned ms>\t<claim now>\t<step ids, comma-separated>`: the machine's
 *   wall clock (`Date.now()`, the same clock in every process of a test) just before the
 *   statement was handed to the driver and just after its result came back, the `now` it
 *   claimed with (the engine's clock), and the steps it claimed. The sent time is no later than
 *   the statement reached the server, the returned time no earlier than it committed.
 *
 * It prints `ready` once started, and `error\t…` for each background error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  createPostgresDriver,
  createTasker,
  type QueryResult,
  type SqlDriver,
  type StepContext,
  TaskStore,
} from '../../src/index';
import { FLOW_TASKS } from './flow-tasks';

const url = process.env.TASKER_MP_DATABASE_URL as string;
const concurrency = Number(process.env.TASKER_MP_CONCURRENCY ?? 8);
const pollMs = process.env.TASKER_MP_POLL_MS;
const logClaims = process.env.TASKER_MP_LOG_CLAIMS === '1';

function report(kind: string, error: unknown, detail = ''): void {
  const e = error as { code?: unknown; message?: unknown };
  const message = String(e?.message ?? error).replace(/\s+/g, ' ');
  process.stdout.write(`${kind}\t${detail}\t${String(e?.code ?? '')}\t${message}\n`);
}

/** `inner`, printing a `claim` line for every claim statement it runs. */
function loggingClaims(inner: SqlDriver): SqlDriver {
  return {
    dialect: inner.dialect,
    async query<Row>(text: string, params: readonly unknown[] = [], statementId?: string) {
      if (!statementId?.startsWith('tasker_claim_steps_')) return inner.query<Row>(text, params, statementId);
      const sent = Date.now();
      const result: QueryResult<Row> = await inner.query<Row>(text, params, statementId);
      const returned = Date.now();
      const ids = (result.rows as { id?: unknown }[]).filter((r) => r.id != null).map((r) => String(r.id));
      process.stdout.write(`claim\t${sent}\t${returned}\t${String(params[0])}\t${ids.join(',')}\n`);
      return result;
    },
    exec: (text) => inner.exec(text),
    transaction: (body) => inner.transaction(body),
    listen: (channel, onMessage, onReconnect) => inner.listen(channel, onMessage, onReconnect),
    close: () => inner.close(),
  };
}

const side = new pg.Pool({ connectionString: url, max: 4 });
side.on('error', () => {});
const driver = await createPostgresDriver({
  connectionString: url,
  poolSize: 6,
  onConnectionError: (error) => report('connection', error),
});
const store = new TaskStore(logClaims ? loggingClaims(driver) : driver, {
  onTransientError: (error, attempt) => report('transient', error, String(attempt)),
});
await store.migrate();

async function pause(ctx: StepContext): Promise<number> {
  const { minMs, maxMs, record } = ctx.handlerConfig as { minMs: number; maxMs: number; record?: boolean };
  if (record === true)
    await side.query('insert into handler_runs (step_id, started_at) values ($1, clock_timestamp())', [
      ctx.stepId,
    ]);
  await sleep(minMs + Math.random() * (maxMs - minMs));
  if (record === true)
    await side.query('update handler_runs set ended_at = clock_timestamp() where step_id = $1', [ctx.stepId]);
  return process.pid;
}

const tasker = createTasker({
  store,
  tasks: FLOW_TASKS,
  handlers: { pause },
  config: {
    engine: pollMs === undefined ? {} : { pollIntervalMs: Number(pollMs) },
    execution: { concurrency },
  },
  onError: (error, during) => report('error', error, during),
});
await tasker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  await side.end();
  process.exit(0);
});
