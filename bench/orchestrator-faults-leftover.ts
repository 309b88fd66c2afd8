/**
 * Errored tasks left behind, made through the engine as issue #11 found them (finding 5): each
 * a `bench.diamond@1.0.0` (the definition the benchmark's engine also registers, so its claims
 * would walk these steps were they still in the claim indexes) whose `left` step fails for good
 * while its siblings `middle` and `right` fail retryably with a delay of 0 (`retryAfter: 0`),
 * so that the task ends in `error` holding a step that is due at once.
 *
 * The tasks carry the tag {@link LEFTOVER_TAG}; the benchmark's runs keep them (and leave them
 * out of their checks), and {@link describeLeftovers} shows that no run touched them.
 */
import {
  createTasker,
  PermanentError,
  RetryableError,
  type SqlDriver,
  type StepHandler,
  TaskStore,
} from '@tasker/orchestrator';
import { BenchCheckError } from './harness';
import { waitWhileProgressing } from './orchestrator-system';
import { benchDefinitions, type TaskerBenchSettings } from './orchestrator-tasker';

export const LEFTOVER_TAG = 'leftover';

/** What the tasks left behind look like. */
export interface Leftovers {
  readonly tasks: number;
  readonly errored: number;
  /** Errored tasks that hold a step due now: ready (pending, parents done) or a retry now due. */
  readonly withDueStep: number;
  /** `<step> <state>` → count, over every step of those tasks. */
  readonly stepStates: Readonly<Record<string, number>>;
}

/** How making them went. */
export interface LeftoverFill extends Leftovers {
  readonly submitMs: number;
  readonly runMs: number;
}

const DESCRIBE = {
  tasks: `
select count(*)::int as tasks, count(*) filter (where t.state = 'error')::int as errored,
  count(*) filter (where t.state = 'error' and exists (
    select 1 from tasker.steps s
    where s.task_id = t.id and ((s.state = 'pending' and s.pending_parents = 0)
      or (s.state = 'waiting_for_retry' and s.next_attempt_at <= $2::bigint))
  ))::int as with_due_step
from tasker.tasks t where $1::text = any(t.tags)`,
  steps: `
select s.name || ' ' || s.state as key, count(*)::int as n
from tasker.steps s join tasker.tasks t on t.id = s.task_id
where $1::text = any(t.tags) group by 1 order by 1`,
} as const;

/** Counts the tasks left behind and the states of their steps. */
export async function describeLeftovers(driver: SqlDriver): Promise<Leftovers> {
  const now = Date.now();
  const t = (
    await driver.query<{ tasks: number; errored: number; with_due_step: number }>(DESCRIBE.tasks, [
      LEFTOVER_TAG,
      now,
    ])
  ).rows[0];
  const steps = (await driver.query<{ key: string; n: number }>(DESCRIBE.steps, [LEFTOVER_TAG])).rows;
  return {
    tasks: t?.tasks ?? 0,
    errored: t?.errored ?? 0,
    withDueStep: t?.with_due_step ?? 0,
    stepStates: Object.fromEntries(steps.map((r) => [r.key, r.n])),
  };
}

/**
 * Leaves `count` errored tasks, each with a due step, in the (migrated) store on `driver`, and
 * checks that it did: a setup that made fewer fails the benchmark.
 */
export async function leaveErroredTasks(
  driver: SqlDriver,
  count: number,
  settings: TaskerBenchSettings,
): Promise<LeftoverFill> {
  const handler: StepHandler = (ctx) => {
    if (ctx.stepName === 'left') throw new PermanentError('left behind on purpose');
    // retryAfter 0: due again at once, whatever the attempt (the backoff table runs out).
    if (ctx.stepName === 'middle' || ctx.stepName === 'right')
      throw new RetryableError('due again at once', { retryAfter: 0 });
    return ctx.attempt;
  };
  const { diamond } = benchDefinitions(handler);
  const store = new TaskStore(driver);
  const errors: string[] = [];
  const filler = createTasker({
    store,
    tasks: [diamond],
    config: {
      execution: { concurrency: settings.concurrency },
      engine: { batchSize: settings.batchSize },
    },
    onError: (error, during) => errors.push(`${during}: ${(error as Error).message}`),
  });
  const submitStarted = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await filler.submit({
        namespace: 'bench',
        name: 'diamond',
        version: '1.0.0',
        context: { i },
        tags: [LEFTOVER_TAG],
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.submitParallelism, count) }, lane));
  const submitMs = performance.now() - submitStarted;
  const started = performance.now();
  await filler.start();
  const errored = async () =>
    (
      await driver.query<{ n: number }>(
        `select count(*)::int as n from tasker.tasks where state = 'error' and $1::text = any(tags)`,
        [LEFTOVER_TAG],
      )
    ).rows[0]?.n ?? 0;
  const finished = await waitWhileProgressing(errored, (n) => n >= count, undefined, 100);
  const runMs = performance.now() - started;
  await filler.stop();
  // The last retries were set due at the engine's clock (synced to the database's), which may
  // be a few ms ahead of this process's: give them until they are due here.
  let left = await describeLeftovers(driver);
  for (const giveUp = performance.now() + 2_000; left.withDueStep < count && performance.now() < giveUp; ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await describeLeftovers(driver);
  }
  if (!finished || left.tasks !== count || left.errored !== count || left.withDueStep !== count) {
    throw new BenchCheckError(
      `leaving ${count} errored tasks with a due step failed: ${left.tasks} tasks, ${left.errored} errored, ` +
        `${left.withDueStep} with a due step; steps ${JSON.stringify(left.stepStates)}` +
        (errors.length > 0 ? `; engine errors: ${errors.slice(0, 3).join('; ')}` : ''),
    );
  }
  return { ...left, submitMs, runMs };
}
