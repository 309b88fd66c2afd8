import { type AnySeriesSnapshot, familySnapshot, seriesSnapshot } from './family-snapshot';
import { sampleSlot } from './history';
import { type SelfMetricsSource, selfMetricFamilies } from './self-metrics';
import { EMPTY_LABELS, OVERFLOW_LABELS, type SeriesFamily } from './series-family';
import type { MetricFamilySnapshot, MetricsSnapshot } from './snapshot';
import { TrieCursor } from './trie-cursor';

/**
 * One collect of a registry, taken a few series at a time: `registry.collect()` runs it in one
 * go, `registry.collectInSlices()` in slices that yield to the event loop between them. Both
 * follow the same rule, so a snapshot means the same thing however it was taken.
 *
 * **Values that change during a sliced collect.** The collect starts by running the collect
 * hooks and gauge callbacks and reading the clock once: that is the snapshot's `timestamp`, and
 * the time every idle-eviction decision of this collect uses. Then, family by family (those
 * registered when it started, in registration order):
 *
 * 1. Each series is read once, when the walk reaches it, all its cells at once: its value
 *    includes every update made before that moment, and none made after. A histogram's buckets,
 *    count and sum are read together, so they always agree. Updates made after its read are in
 *    the next snapshot. Since a later collect reads a series later, a counter never shows a
 *    smaller value in a later snapshot (unless it was evicted or removed and re-created).
 * 2. A series created after the collect started (by an update with new labels, or a handle
 *    re-creating an evicted series) is not in this snapshot, even when its family has not been
 *    walked yet: it is in the next one. Series carry the serial of their allocation for this.
 * 3. A series removed (`remove()`) before the walk reaches it is not in the snapshot; one
 *    removed after is, with the value read at its turn.
 * 4. A family's counts (`foldedUpdates`, `evictedSeries`, `dropped`, `collectErrors`) are read
 *    when the walk finishes that family, after its own evictions. The self-metrics
 *    (`self-metrics.ts`), when the registry exports them, read them again after the last family.
 */
export class Collection {
  readonly timestamp: number;
  readonly #families: readonly SeriesFamily[];
  readonly #selfMetrics: readonly SelfMetricsSource[] | undefined;
  readonly #snapshots: MetricFamilySnapshot[] = [];
  #index = 0;
  /** The walk of the current family; undefined between families. */
  #cursor: TrieCursor | undefined;
  #series: AnySeriesSnapshot[] = [];
  /** Series of the current family allocated after this serial were created during the collect. */
  #serialLimit = 0;
  #sampling = false;
  #sweeping = false;
  #done = false;

  /**
   * `families` have had their callbacks run; `now` is the clock read after them. With
   * `selfMetrics`, the snapshot ends with the self-metric families of those instruments.
   */
  constructor(families: readonly SeriesFamily[], now: number, selfMetrics?: readonly SelfMetricsSource[]) {
    this.#families = families;
    this.timestamp = now;
    this.#selfMetrics = selfMetrics;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Collects up to about `maxSeries` more series (a family's first step may take one more). */
  step(maxSeries: number): void {
    let budget = maxSeries;
    while (budget > 0 && this.#index < this.#families.length) {
      const family = this.#families[this.#index] as SeriesFamily;
      const cursor = this.#cursor ?? this.#begin(family);
      if (cursor === undefined) {
        // Unlabelled: one series, read at once.
        family.flush();
        this.#take(family, 0, undefined);
        this.#finish(family);
        budget--;
        continue;
      }
      while (budget > 0) {
        const slot = cursor.next();
        if (slot < 0) {
          this.#overflow(family);
          this.#finish(family);
          break;
        }
        budget--;
        if ((family.store.serials[slot] as number) > this.#serialLimit) continue;
        family.flushViews(slot);
        if (this.#sweeping && family.idle(slot, this.timestamp)) {
          cursor.deleteCurrent();
          family.evict(slot);
          continue;
        }
        this.#take(family, slot, cursor);
      }
    }
    if (this.#index >= this.#families.length && !this.#done) {
      this.#done = true;
      if (this.#selfMetrics !== undefined) this.#snapshots.push(...selfMetricFamilies(this.#selfMetrics));
    }
  }

  /** The snapshot; call once {@link Collection.done}. */
  snapshot(): MetricsSnapshot {
    return Object.freeze({ timestamp: this.timestamp, families: Object.freeze(this.#snapshots) });
  }

  #begin(family: SeriesFamily): TrieCursor | undefined {
    this.#series = [];
    this.#serialLimit = family.store.lastSerial;
    this.#sampling = family.rings?.advance(this.timestamp) ?? false;
    this.#sweeping = family.labelCount > 0 && family.config.idleTtlMs !== Number.POSITIVE_INFINITY;
    if (family.labelCount === 0) return undefined;
    this.#cursor = new TrieCursor(family.root, family.labelCount);
    return this.#cursor;
  }

  #take(family: SeriesFamily, slot: number, cursor: TrieCursor | undefined): void {
    if (this.#sampling) sampleSlot(family, family.rings as NonNullable<SeriesFamily['rings']>, slot);
    const labels = cursor === undefined ? EMPTY_LABELS : family.labelsOf(cursor.values);
    this.#series.push(seriesSnapshot(family, slot, labels, false));
  }

  #overflow(family: SeriesFamily): void {
    const slot = family.overflowSlot;
    if (slot < 0 || (family.store.serials[slot] as number) > this.#serialLimit) return;
    if (this.#sweeping && family.idle(slot, this.timestamp)) {
      family.evictOverflow();
      return;
    }
    if (this.#sampling) sampleSlot(family, family.rings as NonNullable<SeriesFamily['rings']>, slot);
    this.#series.push(seriesSnapshot(family, slot, OVERFLOW_LABELS, true));
  }

  #finish(family: SeriesFamily): void {
    this.#snapshots.push(familySnapshot(family, this.#series));
    this.#series = [];
    this.#cursor = undefined;
    this.#index++;
  }
}
