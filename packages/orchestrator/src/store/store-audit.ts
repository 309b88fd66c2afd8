/**
 * Reads of the transition audit (`TaskStore.audit`): each step's span over all its attempts,
 * for the critical path, and pages of the audit in id order, for the live event feed.
 */
import { num, optNum } from './records';
import { auditPage, lastTransitionId, snapshotHorizon, stepSpans } from './sql/audit-reads';
import type { StoreContext } from './store-context';

/** A step's span over all its attempts, from the audit. */
export interface StepSpan {
  readonly stepId: string;
  /** Its first claim (first `→ in_progress`); undefined when it never ran (skipped, resolved). */
  readonly firstClaimedAt: number | undefined;
  /** Its last settle (`→ complete`, `error`, `resolved_manually`, `cancelled`, `skipped`); undefined while it has not. */
  readonly settledAt: number | undefined;
}

/**
 * The transaction horizon of a snapshot, as `xid8` values: every transaction below `xmin` has
 * ended; every one that had started when the snapshot was taken is below `xmax`.
 */
export interface SnapshotHorizon {
  readonly xmin: bigint;
  readonly xmax: bigint;
}

/** Audit reads over a store's tables. Get one from `TaskStore.audit`. */
export class StoreAudit {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The span of every step of a task that left `pending` at least once. */
  async stepSpans(taskId: string): Promise<StepSpan[]> {
    const r = await this.#ctx.query(stepSpans, [taskId]);
    return r.rows.map((row) => ({
      stepId: String(row.step_id),
      firstClaimedAt: optNum(row.first_claimed_at),
      settledAt: optNum(row.settled_at),
    }));
  }

  /**
   * Up to `limit` audit rows after id `afterId`, in id order, joined to their task (with its
   * `owner`) and step: what `EventPublisher.republish` turns into events.
   */
  async page(afterId: number, limit: number): Promise<Record<string, unknown>[]> {
    return (await this.#ctx.query(auditPage, [afterId, limit])).rows;
  }

  /** The horizon of a snapshot taken now. */
  async horizon(): Promise<SnapshotHorizon> {
    const row = (await this.#ctx.query(snapshotHorizon)).rows[0] ?? {};
    return { xmin: BigInt(String(row.xmin)), xmax: BigInt(String(row.xmax)) };
  }

  /** The id of the newest audit row visible now (0 when there is none). */
  async lastId(): Promise<number> {
    return num((await this.#ctx.query(lastTransitionId)).rows[0]?.id ?? 0);
  }
}
