/**
 * A cursor over the transition audit that yields the events of every transition, committed by
 * any process, in id order, with the ids `<transition id>.<n>` of #9's delivery (the events are
 * rebuilt from each audit row as `EventPublisher.republish` does). The live event feed of the
 * API reads it; a reader that kept the id of the last event it got resumes after it, with no
 * gap and no repeat.
 *
 * Ids are handed out by a sequence when a row is inserted, and transactions commit in another
 * order: id 41 may become visible after 42, or never (its transaction rolled back, or the
 * retention sweep deleted it). So the cursor never passes a missing id until that id is known
 * to be missing for good. When a read finds a gap, the next read takes the snapshot horizon:
 * `xmax` is above every transaction that had begun by then, which includes the one that holds
 * the missing id (its `nextval` ran before the later row committed, before the first read; the
 * read in between leaves a poll interval for that transaction's insert to get its xid). Once
 * the horizon's `xmin` (every transaction below it has ended) reaches that `xmax`, the missing
 * row either is visible or never will be, and the cursor moves on. A transaction that holds the
 * horizon back for longer than `gapTimeoutMs` (a long write elsewhere in the cluster) stops
 * holding the feed: the gap is then passed, and counted in `skippedGaps`.
 *
 * Because the cursor only passes ids that are final, the id of any event handed out is a safe
 * place to resume from.
 */

import type { SnapshotHorizon, StoreAudit } from '../store/store-audit';
import { EventPublisher } from './event-publisher';

/** One event of the feed. */
export interface FeedEvent {
  /** `<transition id>.<n>`, the same in every process. */
  readonly id: string;
  readonly name: string;
  /** When the transition was recorded (epoch ms). */
  readonly at: number;
  /** The catalog payload, as the router's backends receive it. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly taskId: string;
  /** Who submitted the task (its token subject), or null. */
  readonly owner: string | null;
}

/** Where a reader resumes: after event `n` of transition `transitionId`. */
export interface FeedPosition {
  readonly transitionId: number;
  readonly n: number;
}

/** Options of {@link AuditTail}. */
export interface AuditTailOptions {
  /** Resume after this event; without it the tail starts after the newest transition now visible. */
  readonly after?: FeedPosition;
  /** Audit rows read at most per call of `next`. Default 100. */
  readonly batchSize?: number;
  /** The longest a missing id holds the cursor back, ms. Default 30 000. */
  readonly gapTimeoutMs?: number;
  readonly now?: () => number;
}

/** Parses a `Last-Event-ID` (`<transition id>.<n>`); undefined when it is not one. */
export function parseFeedPosition(text: string): FeedPosition | undefined {
  const m = /^(\d{1,15})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  return { transitionId: Number(m[1]), n: Number(m[2]) };
}

interface Gap {
  /** The first missing id. */
  readonly from: number;
  readonly seenAt: number;
  /** `xmax` of the first horizon taken after the gap was seen. */
  xmax: bigint | undefined;
}

/** See the top of this file. */
export class AuditTail {
  readonly #audit: StoreAudit;
  readonly #batchSize: number;
  readonly #gapTimeoutMs: number;
  readonly #now: () => number;
  /** Every id up to this one is delivered or known to be missing for good. */
  #cursor = -1;
  /** Events of this transition up to `n` were delivered before a resume. */
  #skip: FeedPosition | undefined;
  #gap: Gap | undefined;
  #skippedGaps = 0;
  readonly #collected: FeedEvent[] = [];
  readonly #publisher: EventPublisher;
  #row: Record<string, unknown> = {};

  constructor(audit: StoreAudit, options: AuditTailOptions = {}) {
    this.#audit = audit;
    this.#batchSize = options.batchSize ?? 100;
    this.#gapTimeoutMs = options.gapTimeoutMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    if (options.after !== undefined) {
      this.#cursor = options.after.transitionId - 1;
      this.#skip = options.after;
    }
    this.#publisher = new EventPublisher({
      route: (name, payload, at, id) => {
        const row = this.#row;
        this.#collected.push({
          id: id as string,
          name,
          at: at as number,
          payload: payload as Readonly<Record<string, unknown>>,
          taskId: String(row.task_id),
          owner: row.owner == null ? null : String(row.owner),
        });
        return true;
      },
    });
  }

  /** Gaps passed after `gapTimeoutMs` rather than by the horizon. */
  get skippedGaps(): number {
    return this.#skippedGaps;
  }

  /** The id up to which every transition is delivered (or missing for good). */
  get cursor(): number {
    return this.#cursor;
  }

  /**
   * Reads on from the cursor: the events of the transitions now final after it, in order (empty
   * when there are none yet). `full` is true when the read filled its batch: read again at once.
   */
  async next(): Promise<{ events: FeedEvent[]; full: boolean }> {
    if (this.#cursor < 0) this.#cursor = await this.#audit.lastId();
    // The horizon is taken before the page, so a transaction that ended before it is seen.
    const horizon: SnapshotHorizon | undefined =
      this.#gap === undefined ? undefined : await this.#audit.horizon();
    const rows = await this.#audit.page(this.#cursor, this.#batchSize);
    const events: FeedEvent[] = [];
    for (const row of rows) {
      const id = Number(row.id);
      if (id !== this.#cursor + 1 && !this.#gapSettled(this.#cursor + 1, horizon)) break;
      this.#gap = undefined;
      this.#cursor = id;
      this.#row = row;
      this.#publisher.republish([row]);
      const skip = this.#skip;
      for (const e of this.#collected) {
        if (
          skip !== undefined &&
          skip.transitionId === id &&
          Number(e.id.slice(e.id.indexOf('.') + 1)) <= skip.n
        )
          continue;
        events.push(e);
      }
      this.#collected.length = 0;
    }
    if (this.#skip !== undefined && this.#cursor >= this.#skip.transitionId) this.#skip = undefined;
    return { events, full: rows.length === this.#batchSize };
  }

  /** Whether the ids from `from` up to the next visible row are missing for good (see the top). */
  #gapSettled(from: number, horizon: SnapshotHorizon | undefined): boolean {
    const gap = this.#gap;
    if (gap === undefined || gap.from !== from) {
      this.#gap = { from, seenAt: this.#now(), xmax: undefined };
      return false;
    }
    if (horizon === undefined) return false;
    if (gap.xmax === undefined) {
      gap.xmax = horizon.xmax;
      return false;
    }
    if (horizon.xmin >= gap.xmax) return true;
    if (this.#now() - gap.seenAt >= this.#gapTimeoutMs) {
      this.#skippedGaps++;
      return true;
    }
    return false;
  }
}
