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
  /** Why the run is void (a lost step, a step completed twice, DAG order broken); empty when valid. */
  readonly problems: string[];
  /** Facts worth reporting that do not void the run. */
  readonly notes: string[];
}

/** A system under benchmark. */
export interface BenchSystem {
  readonly name: string;
  /** False when the system cannot express a DAG (it runs chains only). */
  readonly dag: boolean;
  durability(): Promise<Durability>;
  run(workload: Workload, count: number): Promise<RunResult>;
  /** Milliseconds from submitting one 4-step chain to its last step durably complete, one at a time. */
  latency(samples: number, warmup: number): Promise<number[]>;
  close(): Promise<void>;
}
