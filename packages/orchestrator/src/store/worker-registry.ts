/**
 * The worker registry (`tasker.workers`): every engine process that uses a store, its
 * heartbeat and what it claims, and the recovery of the events of a process that died before
 * publishing them (issue #11). A store has one registry; its first engine is the store's
 * writer: the store's transitions are recorded under its number, and its heartbeats carry the
 * store's publish watermark (see `publish-ledger.ts`).
 */
import type { PublishLedger } from './publish-ledger';
import { num } from './records';
import {
  heartbeatWorker,
  lockDeadWriter,
  markRecovered,
  pruneWorkers,
  recentWorkers,
  registerWorker,
  stopWorker,
  unpublishedTransitions,
} from './sql/workers';
import type { StoreContext } from './store-context';

/** What a heartbeat reports. */
export interface WorkerBeat {
  readonly running: boolean;
  readonly claimKeys: readonly string[];
  readonly concurrency: number;
  readonly inFlight: number;
}

/** A process of the worker registry. */
export interface WorkerRecord {
  readonly seq: number;
  readonly workerId: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly heartbeatEveryMs: number;
  readonly stoppedAt: number | undefined;
  readonly running: boolean;
  readonly claimKeys: readonly string[];
  readonly concurrency: number;
  readonly inFlight: number;
}

/** The engines of one store in the worker registry. */
export class WorkerRegistry {
  readonly #ctx: StoreContext;
  readonly #engines = new Set<number>();
  #writer: number | null = null;

  constructor(
    ctx: StoreContext,
    readonly ledger: PublishLedger,
  ) {
    this.#ctx = ctx;
  }

  /** The registry number the store's transitions are recorded under, once an engine registered. */
  get writer(): number | null {
    return this.#writer;
  }

  /**
   * Registers an engine in the worker registry and returns its number. The first engine of
   * this store becomes its writer: the store's transitions are recorded under its number, and
   * its heartbeats carry the store's publish watermark.
   */
  async register(info: {
    workerId: string;
    hostname: string;
    pid: number;
    now: number;
    heartbeatEveryMs: number;
    publishes: boolean;
  }): Promise<number> {
    const r = await this.#ctx.query(registerWorker, [
      info.workerId,
      info.hostname,
      info.pid,
      info.now,
      info.heartbeatEveryMs,
      info.publishes,
    ]);
    const row = r.rows[0] as Record<string, unknown>;
    this.ledger.observe(num(row.transitions_seq));
    const seq = num(row.seq);
    this.#engines.add(seq);
    this.#writer ??= seq;
    return seq;
  }

  /** Engine `seq`'s heartbeat: alive, what it runs, and (for the writer) how far events are published. */
  async heartbeat(seq: number, now: number, state: WorkerBeat): Promise<void> {
    const watermark = seq === this.#writer ? this.ledger.watermark() : 0;
    const r = await this.#ctx.query(heartbeatWorker, [
      seq,
      now,
      state.running,
      [...state.claimKeys],
      state.concurrency,
      state.inFlight,
      watermark,
    ]);
    const row = r.rows[0];
    if (row !== undefined) this.ledger.observe(num(row.transitions_seq));
  }

  /**
   * Records engine `seq`'s clean stop. The writer's events need no recovery when no write is
   * open; otherwise its row is left for recovery (a republish after the watermark: repeats,
   * never a loss). Another engine of this store, if any, becomes the writer.
   */
  async stop(seq: number, now: number): Promise<void> {
    const writer = seq === this.#writer;
    this.#engines.delete(seq);
    if (writer) this.#writer = this.#engines.values().next().value ?? null;
    const settled = !writer || this.ledger.open === 0;
    await this.#ctx.query(stopWorker, [seq, now, writer ? this.ledger.watermark() : 0, settled]);
  }

  /**
   * Republishes the events of one process that died with events possibly unpublished: locks
   * it (another recovering process takes another), hands its transitions after its watermark
   * to `publish` (with the task and step fields their events need), and marks it recovered.
   * Returns how many transitions it handed over, or undefined when no process needed it.
   */
  async recoverDeadWriter(
    now: number,
    minSilenceMs: number,
    publish: (dead: { seq: number; workerId: string }, rows: readonly Record<string, unknown>[]) => void,
  ): Promise<number | undefined> {
    return this.#ctx.transaction(async (run) => {
      const dead = (await run(lockDeadWriter, [now, minSilenceMs])).rows[0];
      if (dead === undefined) return undefined;
      const seq = num(dead.seq);
      const rows = (await run(unpublishedTransitions, [seq, num(dead.published_through)])).rows;
      publish({ seq, workerId: String(dead.worker_id) }, rows);
      await run(markRecovered, [seq]);
      return rows.length;
    });
  }

  /** Processes seen within `windowMs` (live ones, and those stopped or silent that recently). */
  async recent(now: number, windowMs: number): Promise<WorkerRecord[]> {
    const r = await this.#ctx.query(recentWorkers, [now, windowMs]);
    return r.rows.map((row) => ({
      seq: num(row.seq),
      workerId: String(row.worker_id),
      hostname: String(row.hostname),
      pid: num(row.pid),
      startedAt: num(row.started_at),
      heartbeatAt: num(row.heartbeat_at),
      heartbeatEveryMs: num(row.heartbeat_every_ms),
      stoppedAt: row.stopped_at == null ? undefined : num(row.stopped_at),
      running: row.running === true,
      claimKeys: (row.claim_keys ?? []) as string[],
      concurrency: num(row.concurrency),
      inFlight: num(row.in_flight),
    }));
  }

  /** Forgets processes not seen for `ageMs` whose events need nothing more. */
  async prune(now: number, ageMs: number): Promise<number> {
    const r = await this.#ctx.query(pruneWorkers, [now, ageMs]);
    return r.rowCount;
  }
}
