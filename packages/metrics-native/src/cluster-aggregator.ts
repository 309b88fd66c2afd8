import type { ChildProcess } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { z } from 'zod';
import { ClusterMerge, type GaugeMergeMode, type ProcessAnswer } from './cluster-merge';
import {
  type FullWireSnapshot,
  fillIn,
  isWireReply,
  REQUEST_TYPE,
  toWire,
  type WireRequest,
  type WireSnapshot,
} from './cluster-wire';
import { MetricsError } from './errors';
import type { Gauge } from './gauge';
import { createRegistry, type Registry } from './registry';
import type { MetricsSnapshot } from './snapshot';
import { describeIssues, showValue } from './validation-message';

/**
 * The primary side of a cluster scrape. On `collect()`, it asks every process for its
 * snapshot over IPC (each process runs {@link serveClusterMetrics}), waits at most
 * `timeoutMs`, and merges the answers with its own registry's snapshot (see `cluster-merge.ts`
 * for the rules). A process that does not answer in time is not waited for: its previous
 * answer is merged instead, and it is counted in `tasker_cluster_processes_unresponsive`.
 * Concurrent `collect()` calls share one round of questions.
 */

/** A process the aggregator asks: a `node:cluster` worker or a `child_process.fork()` child. */
export type ClusterProcess = Worker | ChildProcess;

/** Options of {@link createClusterAggregator}. Every field is optional. */
export interface ClusterAggregatorOptions {
  /**
   * The primary's own registry: its metrics join the merge as one more process, and the
   * aggregator's gauges live in it. Default: a new registry.
   */
  readonly registry?: Registry;
  /** How long to wait for the processes' answers, in ms. Default 2000. */
  readonly timeoutMs?: number;
  /** How each gauge family is merged, by metric name. Families not listed take `defaultGaugeMode`. */
  readonly gaugeModes?: Readonly<Record<string, GaugeMergeMode>>;
  /** Default `'sum'`, as prom-client's `AggregatorRegistry` does. */
  readonly defaultGaugeMode?: GaugeMergeMode;
  /**
   * The processes to ask, in start order (for `last` gauges the later wins). Default: the
   * connected workers of `node:cluster`, by worker id.
   */
  readonly processes?: () => Iterable<ClusterProcess>;
  /** Where one-time warnings go (a family that differs between processes). Default: `process.emitWarning`. */
  readonly warn?: (message: string) => void;
}

/**
 * Serves the merged metrics of a cluster. It has what `@tasker/exporter-prometheus`'s handler
 * needs (`collect()` and `counter()`), so it can be passed where a registry is expected.
 */
export interface ClusterAggregator {
  /** Asks every process, merges, and returns one snapshot. Never rejects. */
  collect(): Promise<MetricsSnapshot>;
  /** Makes a counter in the primary's registry (for exporters' own counters). */
  counter: Registry['counter'];
  /** The primary's registry. */
  readonly registry: Registry;
}

const MODES = ['sum', 'min', 'max', 'last', 'pid'] as const;
const modeField = z.enum(MODES, {
  error: (i) => `expected one of ${MODES.map((m) => `"${m}"`).join(', ')}, received ${showValue(i.input)}`,
});
const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
    error: (i) => `expected ${what}, received ${showValue(i.input)}`,
  });

const optionsSchema = z.strictObject(
  {
    registry: z
      .custom<Registry>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as Registry).collect === 'function' &&
          typeof (v as Registry).gauge === 'function',
        { error: (i) => `expected a registry from createRegistry(), received ${showValue(i.input)}` },
      )
      .optional(),
    timeoutMs: z
      .number({ error: (i) => `expected a number of milliseconds, received ${showValue(i.input)}` })
      .positive({ error: (i) => `expected a positive number, received ${showValue(i.input)}` })
      .max(2_147_483_647, { error: 'expected at most 2147483647 (the longest timer)' })
      .optional(),
    gaugeModes: z.record(z.string(), modeField).optional(),
    defaultGaugeMode: modeField.optional(),
    processes: fn('a function returning the processes to ask').optional(),
    warn: fn('a function (message) => void').optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

function clusterWorkers(): Iterable<ClusterProcess> {
  const workers = cluster.workers ?? {};
  return Object.values(workers).filter((w): w is Worker => w !== undefined);
}

function pidOf(target: ClusterProcess): number {
  return ('process' in target ? target.process.pid : target.pid) ?? 0;
}

function connected(target: ClusterProcess): boolean {
  return 'isConnected' in target ? target.isConnected() : target.connected;
}

class PrimaryAggregator implements ClusterAggregator {
  readonly registry: Registry;
  readonly counter: Registry['counter'];
  readonly #timeoutMs: number;
  readonly #processes: () => Iterable<ClusterProcess>;
  readonly #merge: ClusterMerge;
  /** Each process's last answer, and the id of the request it answered. */
  readonly #last = new WeakMap<ClusterProcess, { id: number; snapshot: FullWireSnapshot }>();
  readonly #asked: Gauge;
  readonly #unresponsive: Gauge;
  // A random start, so that two aggregators in one primary do not name each other's answers.
  #requests = Math.floor(Math.random() * 2 ** 30);
  #inflight: Promise<MetricsSnapshot> | undefined;

  constructor(options: ClusterAggregatorOptions) {
    this.registry = options.registry ?? createRegistry();
    this.counter = (o) => this.registry.counter(o);
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#processes = options.processes ?? clusterWorkers;
    this.#merge = new ClusterMerge({
      gaugeModes: options.gaugeModes ?? {},
      defaultGaugeMode: options.defaultGaugeMode ?? 'sum',
      warn: options.warn ?? ((message) => process.emitWarning(message, { code: 'TASKER_METRICS' })),
    });
    this.#asked = this.registry.gauge({
      name: 'tasker_cluster_processes',
      help: 'Processes asked for their metrics at the last cluster scrape',
    });
    this.#unresponsive = this.registry.gauge({
      name: 'tasker_cluster_processes_unresponsive',
      help: 'Processes that did not answer the last cluster scrape in time; their previous answer was merged instead',
    });
  }

  collect(): Promise<MetricsSnapshot> {
    this.#inflight ??= this.#collect().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #collect(): Promise<MetricsSnapshot> {
    const targets = [...this.#processes()];
    const { id, answers: fresh } = await this.#ask(targets);
    const answers: ProcessAnswer[] = [];
    let unresponsive = 0;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i] as ClusterProcess;
      const answer = fresh[i];
      const last = this.#last.get(target);
      let snapshot: FullWireSnapshot;
      if (answer === undefined) {
        unresponsive++;
        if (last === undefined) continue;
        snapshot = last.snapshot;
      } else {
        snapshot = fillIn(answer, last?.snapshot);
        this.#last.set(target, { id, snapshot });
      }
      answers.push({ key: target, pid: pidOf(target), snapshot });
    }
    this.#asked.set(targets.length);
    this.#unresponsive.set(unresponsive);
    const own = this.registry.collect();
    answers.unshift({ key: this, pid: process.pid, snapshot: toWire(own) });
    return this.#merge.merge(answers, own.timestamp);
  }

  /** Each target's answer, or undefined when it did not answer within the timeout. */
  #ask(targets: readonly ClusterProcess[]): Promise<{ id: number; answers: (WireSnapshot | undefined)[] }> {
    const id = ++this.#requests;
    const results = new Array<WireSnapshot | undefined>(targets.length);
    if (targets.length === 0) return Promise.resolve({ id, answers: results });
    return new Promise((resolve) => {
      let pending = targets.length;
      const listeners: ((message: unknown) => void)[] = [];
      const finish = () => {
        clearTimeout(timer);
        for (let i = 0; i < targets.length; i++) {
          (targets[i] as ClusterProcess).off('message', listeners[i] as (message: unknown) => void);
        }
        resolve({ id, answers: results });
      };
      const settle = () => {
        if (--pending === 0) finish();
      };
      const timer = setTimeout(finish, this.#timeoutMs);
      targets.forEach((target, i) => {
        let settled = false;
        const once = () => {
          if (settled) return;
          settled = true;
          settle();
        };
        const listener = (message: unknown) => {
          if (!isWireReply(message, id)) return;
          results[i] = message.snapshot;
          once();
        };
        listeners[i] = listener;
        target.on('message', listener);
        if (!connected(target)) {
          once();
          return;
        }
        const request: WireRequest = { type: REQUEST_TYPE, id, base: this.#last.get(target)?.id ?? -1 };
        try {
          target.send(request, (error: Error | null) => {
            if (error) once();
          });
        } catch {
          once();
        }
      });
    });
  }
}

/**
 * Makes the primary's side of a cluster scrape. Serve it as you would a registry.
 *
 * @throws MetricsError `CLUSTER_OPTIONS_INVALID`, naming each bad field.
 *
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * import { createClusterAggregator, createRegistry, serveClusterMetrics } from '@tasker/metrics-native';
 * import { startMetricsServer } from '@tasker/exporter-prometheus';
 *
 * if (cluster.isPrimary) {
 *   for (let i = 0; i < 4; i++) cluster.fork();
 *   await startMetricsServer({ registry: createClusterAggregator(), port: 9464 });
 * } else {
 *   const registry = createRegistry();
 *   serveClusterMetrics(registry); // answers the primary's scrapes
 * }
 * ```
 */
export function createClusterAggregator(options?: ClusterAggregatorOptions): ClusterAggregator {
  const result = optionsSchema.safeParse(options ?? {});
  if (!result.success) {
    throw new MetricsError(
      'CLUSTER_OPTIONS_INVALID',
      `Invalid cluster aggregator options: ${describeIssues(result.error.issues)}`,
    );
  }
  return new PrimaryAggregator(result.data as ClusterAggregatorOptions);
}
