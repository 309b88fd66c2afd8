/** What the orchestrator benchmark runs on each system (Tasker on a store, graphile-worker). */

/** `chains`: 4-step chains. `diamonds`: 1 → 3 → 1. */
export type Workload = 'chains' | 'diamonds';

/** The durability settings a system's connections report. */
export interface Durability {
  readonly fsync: string;
  readonly synchronousCommit: string;
}

/** One timed run of a workload. */
export interface RunResult {
  readonly workload: Workload;
  readonly tasks: number;
  readonly steps: number;
  /** Creating the tasks (or first jobs), with no worker running. Not part of `runMs`. */
  readonly submitMs: number;
  /** From starting the workers until every step is durably complete. */
  readonly runMs: number;
  readonly stepsPerSecond: number;
  /**
   * What the run's checks found wrong, with the counts (a lost step, a step completed twice,
   * DAG order broken); empty when it passed. Any problem fails the benchmark.
   */
  readonly problems: string[];
  /** Facts worth reporting that are not problems. */
  readonly notes: string[];
}

/** The idle latency samples of one round, and what its checks found wrong (as in {@link RunResult}). */
export interface LatencyResult {
  /** Milliseconds from submitting one 4-step chain to its last step durably complete. */
  readonly samples: number[];
  readonly problems: string[];
}

/** A system under benchmark. */
export interface BenchSystem {
  readonly name: string;
  /** False when the system cannot express a DAG (it runs chains only). */
  readonly dag: boolean;
  durability(): Promise<Durability>;
  run(workload: Workload, count: number): Promise<RunResult>;
  /** `samples` chains (after `warmup` untimed ones), one at a time, checked like a run. */
  latency(samples: number, warmup: number): Promise<LatencyResult>;
  close(): Promise<void>;
}

/**
 * How long a run may make no progress before it gives up: a lost step never completes, and
 * without a bound the benchmark would wait for it forever. Three leases of the engine as it was
 * (10 s; twelve of today's 2.5 s), and more than graphile-worker's first retries of a failed job.
 */
export const STALL_MS = 30_000;

/**
 * Polls `read` (every `pollMs`, default every millisecond) until `done` accepts its value.
 * Returns false, giving up, when the value has not changed for `stallMs`.
 */
export async function waitWhileProgressing(
  read: () => number | Promise<number>,
  done: (value: number) => boolean,
  stallMs: number = STALL_MS,
  pollMs = 1,
): Promise<boolean> {
  let last = await read();
  let changedAt = performance.now();
  while (!done(last)) {
    if (performance.now() - changedAt > stallMs) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const value = await read();
    if (value !== last) {
      last = value;
      changedAt = performance.now();
    }
  }
  return true;
}
