/**
 * The step-stopped notification, which aborts a running handler as soon as its step is
 * cancelled or resolved by hand (issue #13).
 *
 * When a commit moves running steps (`in_progress`) to `cancelled` or `resolved_manually`, the
 * store that committed it tells its own watchers in-process, and sends `NOTIFY
 * tasker_step_stopped` with the steps' ids for every other store, in this process or another
 * one. The payload has the task-finished notification's form, `<origin>:<id>,<id>…`, at most
 * {@link MAX_IDS_PER_NOTIFICATION} ids each. A worker running one of those steps aborts its
 * handler's signal at once. A lost notification costs latency only: the next lease renewal
 * finds the step no longer held and aborts it then (within a third of the lease).
 */
import type { Change } from './records';
import { notify } from './sql/read-tasks';
import type { StoreContext } from './store-context';
import { finishedPayloads, parseFinishedPayload } from './task-finished';

/** The channel of step-stopped notifications. */
export const STOPPED_CHANNEL = 'tasker_step_stopped';

/** The running steps that `change` cancelled or resolved by hand. */
export function stoppedStepIds(change: Change): string[] {
  const ids: string[] = [];
  for (const t of change.transitions) {
    if (
      t.kind === 'step' &&
      t.from === 'in_progress' &&
      (t.to === 'cancelled' || t.to === 'resolved_manually')
    )
      ids.push(t.stepId);
  }
  return ids;
}

/** The watchers of stopped steps of one store, and its LISTEN on their channel. */
export class StoppedSteps {
  readonly #ctx: StoreContext;
  readonly #origin: string;
  readonly #track: (sent: Promise<unknown>) => void;
  readonly #watchers = new Set<(stepIds: readonly string[]) => void>();
  #listening: Promise<(() => Promise<void>) | undefined> | undefined;

  constructor(ctx: StoreContext, origin: string, track: (sent: Promise<unknown>) => void) {
    this.#ctx = ctx;
    this.#origin = origin;
    this.#track = track;
  }

  /**
   * Calls `onStopped` with the ids of running steps that were cancelled or resolved by hand, by
   * this store (in-process) or another one (LISTEN). Resolves once listening, or once LISTEN
   * failed (the lease renewal is then the only way a worker learns). Returns the function that
   * stops the watch.
   */
  async watch(onStopped: (stepIds: readonly string[]) => void): Promise<() => void> {
    this.#watchers.add(onStopped);
    this.#listening ??= this.#listen();
    if ((await this.#listening) === undefined) this.#listening = undefined;
    return () => {
      this.#watchers.delete(onStopped);
    };
  }

  /** Tells this store's watchers, then every other store, that `change` stopped running steps. */
  announce(change: Change): void {
    const ids = stoppedStepIds(change);
    if (ids.length === 0) return;
    this.#tell(ids);
    const run = this.#ctx.runner(this.#ctx.driver);
    for (const payload of finishedPayloads(this.#origin, ids))
      this.#track(run(notify, [STOPPED_CHANNEL, payload]).catch(() => {}));
  }

  async close(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    const unlisten = await listening;
    await unlisten?.().catch(() => {});
  }

  #tell(ids: readonly string[]): void {
    for (const watcher of this.#watchers) watcher(ids);
  }

  async #listen(): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.#ctx.driver.listen(STOPPED_CHANNEL, (payload) => {
        const { origin, taskIds } = parseFinishedPayload(payload);
        if (origin !== this.#origin) this.#tell(taskIds);
      });
    } catch {
      return undefined;
    }
  }
}
