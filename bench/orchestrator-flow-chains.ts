/**
 * The chain runs of the flow-control benchmark: the orchestrator benchmark's chain run
 * (`orchestrator-tasker.ts`: tasks submitted with the engine stopped, then one engine timed
 * from `start()` until it has completed every step, checked against the audit trail) for each
 * variant of `orchestrator-flow-tasks.ts`, on one database emptied before each run.
 *
 * Every task gets the context `{ i, k }` whatever the variant (`k`: its group of consecutive
 * chains, the key of the `keyed` variant), so that the submits are alike. During each run a
 * connection of its own reads, every 200 ms, how many steps are parked at a concurrency limit
 * and the most steps in progress for one key: the report shows whether a limit bound, and a
 * key over its limit fails the benchmark. The store's driver counts the claim statements of each
 * run, the steps they claimed and their time ({@link countingClaims}), to show what a binding
 * limit costs the claim.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTasker,
  type PoolStats,
  type SqlDriver,
  type StepHandler,
  type TaskDefinition,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import type { RouterBackend } from '@tasker/router';
import { createEventRouter } from '@tasker/router';
import pg from 'pg';
import { auditRun, type QueryRows } from './orchestrator-audit';
import { type ChainVariant, flowChainDefinitions, KEYED, WIDE_LIMIT } from './orchestrator-flow-tasks';
import { STALL_MS, waitWhileProgressing } from './orchestrator-system';
import type { TaskerBenchSettings } from './orchestrator-tasker';

const SAMPLE_MS = 200;
const LIMITS: Record<ChainVariant, number | undefined> = {
  none: undefined,
  wide: WIDE_LIMIT,
  keyed: KEYED.limit,
};

/** One timed run of one variant (it passed its checks unless `problems` says otherwise). */
export interface FlowChainRun {
  readonly variant: ChainVariant;
  readonly tasks: number;
  readonly steps: number;
  readonly submitMs: number;
  readonly runMs: number;
  readonly stepsPerSecond: number;
  /** The most steps seen parked at a concurrency limit at once (sampled). */
  readonly mostParked: number;
  /** The most steps of one key seen in progress at once (sampled). */
  readonly mostInKey: number;
  readonly claims: Readonly<ClaimCounts>;
  readonly problems: string[];
  readonly notes: string[];
}

/** The claim statements of a run: how many, the steps they claimed, their time (ms). */
export interface ClaimCounts {
  statements: number;
  steps: number;
  ms: number;
}

/** `inner`, counting its claim statements in `counts` (see {@link ClaimCounts}). */
export function countingClaims(inner: SqlDriver): { driver: SqlDriver; counts: ClaimCounts } {
  const counts: ClaimCounts = { statements: 0, steps: 0, ms: 0 };
  const driver: SqlDriver = {
    dialect: inner.dialect,
    async query<Row>(text: string, params: readonly unknown[] = [], statementId?: string) {
      if (!statementId?.startsWith('tasker_claim_steps_')) return inner.query<Row>(text, params, statementId);
      const started = performance.now();
      const result = await inner.query<Row>(text, params, statementId);
      counts.ms += performance.now() - started;
      counts.statements++;
      for (const r of result.rows as { id?: unknown }[]) if (r.id != null) counts.steps++;
      return result;
    },
    exec: (text) => inner.exec(text),
    transaction: (body) => inner.transaction(body),
    listen: (channel, onMessage, onReconnect) => inner.listen(channel, onMessage, onReconnect),
    close: () => inner.close(),
  };
  if (inner.poolStats !== undefined) driver.poolStats = () => (inner.poolStats as () => PoolStats)();
  return { driver, counts };
}

export interface FlowChainRunner {
  run(variant: ChainVariant, count: number): Promise<FlowChainRun>;
}

async function inParallel(count: number, parallelism: number, body: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < count) await body(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, count) }, lane));
}

/**
 * Chain runs on `store` (whose database `url` the sampler connects to); `claims` is the
 * {@link countingClaims} of the store's driver.
 */
export function createFlowChainRunner(
  driver: SqlDriver,
  store: TaskStore,
  url: string,
  settings: TaskerBenchSettings,
  claims: ClaimCounts,
): FlowChainRunner {
  const executions = new Map<string, number>();
  const handler: StepHandler = (ctx) => {
    executions.set(ctx.stepId, (executions.get(ctx.stepId) ?? 0) + 1);
    return ctx.attempt;
  };
  const definitions = flowChainDefinitions(handler);
  const errors: string[] = [];
  let events = 0;
  const counting = (name: string): RouterBackend => ({
    name,
    handle: () => {
      events++;
    },
  });
  const router = createEventRouter({ backends: { trace: counting('trace'), metrics: counting('metrics') } });
  const engine = (definition: TaskDefinition): Tasker =>
    createTasker({
      store,
      router,
      tasks: [definition],
      config: { execution: { concurrency: settings.concurrency }, engine: { batchSize: settings.batchSize } },
      onError: (error, during) => errors.push(`${during}: ${(error as Error).message}`),
    });
  const rows: QueryRows = async <Row>(text: string, params?: readonly unknown[]) =>
    (await driver.query<Row>(text, params)).rows;

  return {
    async run(variant, count) {
      const definition = definitions[variant];
      await driver.exec('truncate tasker.tasks cascade');
      executions.clear();
      errors.length = 0;
      events = 0;
      const tasker = engine(definition);
      const perKey = Math.ceil(count / KEYED.keys);
      const submitting = performance.now();
      await inParallel(count, settings.submitParallelism, (i) =>
        tasker.submit({
          namespace: definition.namespace,
          name: definition.name,
          version: definition.version,
          context: { i, k: Math.floor(i / perKey) },
        }),
      );
      const submitMs = performance.now() - submitting;
      await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');

      const sampler = new pg.Client({ connectionString: url });
      await sampler.connect();
      let sampling = true;
      let mostParked = 0;
      let mostInKey = 0;
      const sampled = (async () => {
        while (sampling) {
          const r = await sampler.query<{ parked: number; most: number }>(`
            select (select count(*) from tasker.steps where hold = 'concurrency')::int as parked,
              (select coalesce(max(n), 0) from (select count(*) as n from tasker.steps
                where state = 'in_progress' and concurrency_key is not null group by concurrency_key) x)::int as most`);
          mostParked = Math.max(mostParked, r.rows[0]?.parked ?? 0);
          mostInKey = Math.max(mostInKey, r.rows[0]?.most ?? 0);
          await sleep(SAMPLE_MS);
        }
      })();

      const steps = count * 4;
      Object.assign(claims, { statements: 0, steps: 0, ms: 0 });
      const started = performance.now();
      await tasker.start();
      const finished = await waitWhileProgressing(
        () => tasker.stats().completed,
        (completed) => completed >= steps,
      );
      const runMs = performance.now() - started;
      const completed = tasker.stats().completed;
      await tasker.stop();
      const claimed = { ...claims };
      sampling = false;
      await sampled;
      await sampler.end();

      const problems = await auditRun(rows, { tasks: count, steps });
      if (!finished)
        problems.unshift(`stalled at ${completed} of ${steps} step completions (none for ${STALL_MS} ms)`);
      const limit = LIMITS[variant];
      if (limit !== undefined && mostInKey > limit)
        problems.push(`${mostInKey} steps of one key in progress at once, over its limit of ${limit}`);
      const reruns = [...executions.values()].filter((n) => n !== 1).length;
      return {
        variant,
        tasks: count,
        steps,
        submitMs,
        runMs,
        stepsPerSecond: steps / (runMs / 1000),
        mostParked,
        mostInKey,
        claims: claimed,
        problems,
        notes: [
          `${events} events routed`,
          `sampled every ${SAMPLE_MS} ms: at most ${mostParked} steps parked, ${mostInKey} of one key in progress`,
          `${claimed.statements} claim statements, ${(claimed.steps / claimed.statements).toFixed(1)} steps each on average, ${Math.round(claimed.ms)} ms in claims`,
          ...(reruns > 0 ? [`${reruns} steps ran more than once (at-least-once; one completion each)`] : []),
          ...errors.slice(0, 5),
        ],
      };
    },
  };
}
