/**
 * Bound handles that write through a view of their series' value cells.
 *
 * A handle that checks its slot's generation on every update reads three columns of the store
 * (generations, values, touched) besides its own fields. With 50 handles used in rotation
 * those reads are not hoisted out of the caller's loop, and they cost more than the write
 * (`bench/metrics-native.bench.ts`, case 3b). A {@link SeriesView} holds a `subarray` of its
 * series' cells instead, and the family keeps every view current:
 *
 * - when the store grows, its columns are new arrays: each view takes a new `subarray`;
 * - when a series is released (evicted or removed), its views are detached: their next update
 *   takes the slow path, which re-creates the series;
 * - a view records that it was updated in a field of its own, and the idle sweep reads it
 *   before deciding that a series is idle.
 */

/** What the family asks of a handle that holds a view of its series. */
export interface SeriesView {
  /** The store's columns were replaced (it grew): take a view of the new ones. */
  refresh(): void;
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

  /** Every view takes a new view of the store's (new) columns. */
  refresh(): void {
    for (const views of this.#bySlot.values()) for (const view of views) view.refresh();
  }

  /** Marks in `touched` the slots whose views were updated since the last call. */
  markTouched(touched: Uint8Array): void {
    for (const [slot, views] of this.#bySlot) {
      let updated = false;
      // Every view is read, so each one's flag is cleared.
      for (const view of views) if (view.takeTouched()) updated = true;
      if (updated) touched[slot] = 1;
    }
  }
}
