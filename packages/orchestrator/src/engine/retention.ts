/**
 * Retention (issue #13): finished tasks older than the policy are removed, with their steps,
 * edges, audit and identity windows (or their audit moved to `tasker.transitions_archive`).
 *
 * A run walks the policy's rules one at a time, oldest tasks first, in batches of at most
 * `batchSize`, each one transaction that first takes the sweep's advisory lock (another process
 * sweeping makes this run stop at once) and bounds its statement to 10× `batchTimeMs`. A batch
 * slower than `batchTimeMs` halves the next one; a fast one doubles it back, up to `batchSize`.
 * After each batch the sweep rests at least `pauseMs`, and long enough to keep the database busy
 * for at most `dutyCycle` of its time, so claims keep it in between; a run stops after
 * `maxRunMs`, and the next one goes on. Expired identity windows go last. Each run is recorded
 * (`tasker.retention_runs`) and announced as the `retention.swept` event.
 */
import type { TaskerConfig } from '../config/config-schema';
import type { RetentionRule, RetentionRunFigures, SweptCounts } from '../store/store-retention';
import type { TaskStore } from '../store/task-store';

/** The lifecycle event announcing each run that was not skipped (a custom event the engine registers). */
export const RETENTION_SWEPT_EVENT = {
  name: 'retention.swept',
  description:
    'A retention sweep ran: tasks, transitions, archived and identityKeys removed, batches, complete, dryRun',
  firedBy: ['retention sweep'],
} as const;

/** The retention group of the engine's configuration. */
export type RetentionPolicy = TaskerConfig['retention'];

const FINISHED = ['complete', 'error', 'cancelled', 'resolved_manually'] as const;

/** The policy's rules: one per namespace override and state, then one per state for the rest. */
export function retentionRules(policy: RetentionPolicy): RetentionRule[] {
  const rules: RetentionRule[] = [];
  const namespaces = Object.entries(policy.namespaces).sort(([a], [b]) => a.localeCompare(b));
  for (const state of FINISHED) {
    const own = namespaces.filter(([, keep]) => keep[state] !== undefined);
    for (const [namespace, keep] of own)
      rules.push({ state, namespace, excluded: [], keepMs: keep[state] as number });
    const keepMs = policy.keepMs[state];
    if (keepMs !== undefined)
      rules.push({ state, namespace: null, excluded: own.map(([namespace]) => namespace), keepMs });
  }
  return rules;
}

/** True when the policy removes anything (some state has a keep). */
export function retentionEnabled(policy: RetentionPolicy): boolean {
  return retentionRules(policy).length > 0;
}

/** One rule's figures in a run. */
export interface RuleFigures extends SweptCounts {
  readonly state: RetentionRule['state'];
  readonly namespace: string | null;
  readonly keepMs: number;
  /** Tasks finished before this time (epoch ms) were due. */
  readonly cutoff: number;
}

/** What a run did (or, dry, would do). */
export interface RetentionRunResult extends RetentionRunFigures {
  /** Set when the run stopped because another process holds the sweep's lock. */
  readonly skipped?: string;
  readonly byRule: readonly RuleFigures[];
}

/** What a run needs besides the store and the policy. */
export interface RetentionRunOptions {
  readonly dryRun?: boolean;
  /** The engine's clock (epoch ms, the database's). */
  readonly now: () => number;
  readonly workerId: string;
  /** Checked between batches: true stops the run (the engine is stopping). */
  readonly stopping?: () => boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The pause after a batch that took `tookMs`: at least `pauseMs`, and long enough that the sweep
 * keeps the database busy for at most `dutyCycle` of its time (a batch of 100 ms at 0.1 is
 * followed by 900 ms of rest).
 */
export function pauseAfter(tookMs: number, policy: Pick<RetentionPolicy, 'pauseMs' | 'dutyCycle'>): number {
  return Math.max(policy.pauseMs, Math.ceil((tookMs * (1 - policy.dutyCycle)) / policy.dutyCycle));
}

function isTimeout(error: unknown): boolean {
  return (error as { code?: unknown }).code === '57014';
}

/** Runs the sweep once (see the module comment) and records it. */
export async function runRetention(
  store: TaskStore,
  policy: RetentionPolicy,
  options: RetentionRunOptions,
): Promise<RetentionRunResult> {
  const startedAt = options.now();
  const began = performance.now();
  const dryRun = options.dryRun === true;
  const byRule: RuleFigures[] = [];
  let batches = 0;
  let identityKeys = 0;
  let complete = true;
  let skipped: string | undefined;
  let error: string | undefined;
  let size = policy.batchSize;
  const timeoutMs = policy.batchTimeMs * 10;
  const outOfTime = () => performance.now() - began > policy.maxRunMs || options.stopping?.() === true;
  const lockTaken = 'another process is sweeping (it holds the retention lock)';

  try {
    for (const rule of retentionRules(policy)) {
      const now = options.now();
      const figures = { tasks: 0, transitions: 0, archived: 0 };
      if (dryRun) Object.assign(figures, await store.retention.count(rule, now));
      else {
        for (;;) {
          if (outOfTime()) {
            complete = false;
            break;
          }
          const started = performance.now();
          let swept: SweptCounts | undefined;
          try {
            swept = await store.retention.sweepBatch(rule, options.now(), size, policy.archive, timeoutMs);
          } catch (e) {
            // A batch cut off by its timeout is rolled back: try again with half of it.
            if (!isTimeout(e) || size === 1) throw e;
            size = Math.max(1, Math.floor(size / 2));
            continue;
          }
          if (swept === undefined) {
            skipped = lockTaken;
            break;
          }
          batches++;
          figures.tasks += swept.tasks;
          figures.transitions += swept.transitions;
          figures.archived += swept.archived;
          const took = performance.now() - started;
          const full = swept.tasks === size;
          if (took > policy.batchTimeMs) size = Math.max(1, Math.floor(size / 2));
          else if (took < policy.batchTimeMs / 4) size = Math.min(policy.batchSize, size * 2);
          if (!full) break;
          await sleep(pauseAfter(took, policy));
        }
      }
      byRule.push({
        state: rule.state,
        namespace: rule.namespace,
        keepMs: rule.keepMs,
        cutoff: now - rule.keepMs,
        ...figures,
      });
      if (skipped !== undefined || !complete) break;
    }
    if (skipped === undefined && complete) {
      if (dryRun) identityKeys = await store.retention.countExpiredKeys(options.now());
      else {
        for (;;) {
          if (outOfTime()) {
            complete = false;
            break;
          }
          const started = performance.now();
          const removed = await store.retention.deleteExpiredKeys(options.now(), policy.batchSize, timeoutMs);
          if (removed === undefined) {
            skipped = lockTaken;
            break;
          }
          batches++;
          identityKeys += removed;
          if (removed < policy.batchSize) break;
          await sleep(pauseAfter(performance.now() - started, policy));
        }
      }
    }
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    error = `${(e as Error).message ?? String(e)}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  if (skipped !== undefined || error !== undefined) complete = false;
  const sum = (k: keyof SweptCounts) => byRule.reduce((n, r) => n + r[k], 0);
  const result: RetentionRunResult = {
    dryRun,
    startedAt,
    finishedAt: options.now(),
    tasks: sum('tasks'),
    transitions: sum('transitions'),
    archived: sum('archived'),
    identityKeys,
    batches,
    complete,
    ...(skipped === undefined ? {} : { skipped }),
    ...(error === undefined ? {} : { error }),
    byRule,
  };
  if (skipped === undefined) {
    await store.retention
      .record({
        ...result,
        workerId: options.workerId,
        error: error ?? undefined,
        byRule: byRule.map((r) => ({ ...r })),
      })
      .catch(() => {});
  }
  return result;
}

/**
 * Runs the sweep every `intervalMs` (the first after a random part of it, so that processes
 * started together do not all try at once) while the engine runs workers.
 */
export class RetentionSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopping = false;

  constructor(
    private readonly run: (stopping: () => boolean) => Promise<RetentionRunResult>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(random: () => number = Math.random): void {
    this.#schedule(Math.max(1_000, Math.floor(this.intervalMs * random())));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    this.#timer = setTimeout(() => {
      this.#running = this.run(() => this.#stopping)
        .catch(this.onError)
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.intervalMs);
        });
    }, delayMs);
    this.#timer.unref();
  }
}
