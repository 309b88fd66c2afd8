/**
 * Bound handles that add into a field of their own, flushed into the store when it is read.
 *
 * A handle that checks its slot's generation on every update reads three columns of the store
 * (generations, values, touched) besides its own fields; one that holds a `subarray` view of its
 * cell still pays, per update, the check V8 adds to every typed-array access once any code in
 * the process has detached an ArrayBuffer (prom-client's import does). With 50 handles used in
 * rotation those reads are not hoisted out of the caller's loop, and they cost more than the
 * add (`bench/metrics-native.bench.ts`, case 3b). A {@link SeriesView} adds into a number field
 * of its own instead, and the family keeps the store right:
 *
 * - before a series is read (its turn in a collect, a history sample or query), its views'
 *   pending amounts are flushed into its value cell;
 * - when a series is released (evicted or removed), its views are detached: their next update
 *   takes the slow path, which re-creates the series;
 * - a view records that it was updated; the collect reads that with the flush, at the series'
 *   turn, before deciding whether the series is idle.
 */

/** What the family asks of a handle that adds into a field of its own. */
export interface SeriesView {
  /** Adds what was added since the last flush into `values` (the store's value column). */
  flush(values: Float64Array): void;
  /** The series was released: the next update takes the slow path and re-creates it. */
  detach(): void;
  /** True when the handle updated its series since the last call. */
  takeTouched(): boolean;
}

/** The views of each slot. A slot may have several: a handle re-bound after an eviction finds another. */
export class SeriesViews {
  readonly #bySlot = new Map<number, SeriesView[]>();

  /** Records `view` as a view of `slot`. */
  watch(slot: number, view: SeriesView): void {
    const views = this.#bySlot.get(slot);
    if (views === undefined) this.#bySlot.set(slot, [view]);
    else views.push(view);
  }

  /** Detaches the views of `slot`, which was released. */
  release(slot: number): void {
    const views = this.#bySlot.get(slot);
    if (views === undefined) return;
    this.#bySlot.delete(slot);
    for (const view of views) view.detach();
  }

  /** Flushes the views of `slot` into `values`, and marks the slot in `touched` if one was updated. */
  flush(slot: number, values: Float64Array, touched: Uint8Array): void {
    if (this.#bySlot.size === 0) return;
    const views = this.#bySlot.get(slot);
    if (views === undefined) return;
    for (const view of views) {
      view.flush(values);
      if (view.takeTouched()) touched[slot] = 1;
    }
  }

  /** Flushes every view into `values`. */
  flushAll(values: Float64Array): void {
    for (const views of this.#bySlot.values()) for (const view of views) view.flush(values);
  }
}
