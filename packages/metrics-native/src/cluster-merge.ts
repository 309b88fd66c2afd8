import { FAMILY_COUNTS, type GaugeMergeMode, MergedFamily, sameSeries } from './cluster-family';
import type { FullWireFamily, FullWireSnapshot } from './cluster-wire';
import type { MetricFamilySnapshot, MetricsSnapshot } from './snapshot';

/**
 * Merges the snapshots of several processes into one, scrape after scrape.
 *
 * Rules per kind:
 * - **Counters and histograms add.** The merged value of a series is the sum, over the live
 *   processes, of their latest answer, plus what departed processes held: when a process
 *   leaves (it is no longer among the processes asked), its last answer is kept in a
 *   `departed` sum. A process whose series goes down (a restart of the series: eviction,
 *   `unregister` and register again) or vanishes has its previous value moved to `departed`
 *   too. So a merged counter never decreases; what a process counted after its last answer
 *   and before it left is lost.
 * - **Gauges** take the mode of their family ({@link GaugeMergeMode}): `sum` (the default),
 *   `min`, `max`, `last` (the answer of the process asked last that has the series; processes
 *   are asked in start order, so the newest one), or `pid` (one series per process, with a
 *   `pid` label). A departed process's gauges are gone with it.
 *
 * Every merged series keeps a slot for as long as it lives, so exporters' per-series caches
 * (keyed by slot and generation) work across scrapes. A gauge series no process holds any more
 * frees its slot; counter and histogram series keep theirs (their departed value lives on).
 *
 * The merge is one pass over the answers: a map lookup per series (none when a process names
 * the same series as at its previous answer, the usual case), then array additions.
 */

export type { GaugeMergeMode };

/** One process's answer to a scrape. */
export interface ProcessAnswer {
  /** Identifies the process across scrapes (a `cluster.Worker`, a `ChildProcess`, any key). */
  readonly key: unknown;
  readonly pid: number;
  readonly snapshot: FullWireSnapshot;
}

/** What a process contributed to one family at its latest answer. */
interface Contribution {
  readonly wire: FullWireFamily;
  /** The merged slot of each of the wire family's series. */
  readonly slots: Int32Array;
}

interface ProcessState {
  snapshot: FullWireSnapshot | undefined;
  contributions: Map<string, Contribution>;
}

/** Options of {@link ClusterMerge}. */
export interface ClusterMergeOptions {
  readonly gaugeModes: Readonly<Record<string, GaugeMergeMode>>;
  readonly defaultGaugeMode: GaugeMergeMode;
  readonly warn: (message: string) => void;
}

/** The merge state of one aggregator: departed values, slots, and each process's last answer. */
export class ClusterMerge {
  readonly #options: ClusterMergeOptions;
  readonly #families = new Map<string, MergedFamily>();
  readonly #processes = new Map<unknown, ProcessState>();
  readonly #warned = new Set<string>();
  #epoch = 0;

  constructor(options: ClusterMergeOptions) {
    this.#options = options;
  }

  /**
   * Merges one scrape's answers, in the order given (for `last` gauges, the later wins).
   * Processes known from earlier scrapes and absent now have departed.
   */
  merge(answers: readonly ProcessAnswer[], timestamp: number): MetricsSnapshot {
    const present = new Set<unknown>();
    for (const answer of answers) present.add(answer.key);
    for (const [key, state] of this.#processes) {
      if (present.has(key)) continue;
      for (const [name, contribution] of state.contributions) this.#fold(name, contribution, undefined);
      this.#processes.delete(key);
    }
    for (const answer of answers) this.#take(answer);
    return this.#render(answers, timestamp);
  }

  #take(answer: ProcessAnswer): void {
    let state = this.#processes.get(answer.key);
    if (state === undefined) {
      state = { snapshot: undefined, contributions: new Map() };
      this.#processes.set(answer.key, state);
    }
    // An unresponsive process is merged with its previous answer: nothing to map again.
    if (state.snapshot === answer.snapshot) return;
    state.snapshot = answer.snapshot;
    const next = new Map<string, Contribution>();
    for (const wire of answer.snapshot.families) {
      let family = this.#families.get(wire.name);
      if (family === undefined) {
        const mode = this.#options.gaugeModes[wire.name] ?? this.#options.defaultGaugeMode;
        family = new MergedFamily(wire, mode);
        this.#families.set(wire.name, family);
      }
      const problem = family.mismatch(wire);
      if (problem !== undefined) {
        this.#warnOnce(
          `mismatch:${wire.name}`,
          `Metric "${wire.name}" is left out of the merged scrape for one process: ${problem}`,
        );
        continue;
      }
      const previous = state.contributions.get(wire.name);
      let slots: Int32Array;
      if (previous !== undefined && sameSeries(previous.wire, wire)) {
        slots = previous.slots;
      } else {
        const n = wire.created.length;
        slots = new Int32Array(n);
        for (let i = 0; i < n; i++) slots[i] = family.slotFor(wire, i, answer.pid);
      }
      const contribution = { wire, slots };
      next.set(wire.name, contribution);
      if (previous !== undefined) this.#fold(wire.name, previous, contribution);
    }
    for (const [name, previous] of state.contributions) {
      if (!next.has(name)) this.#fold(name, previous, undefined);
    }
    state.contributions = next;
  }

  /**
   * Moves to `departed` what `previous` held and `next` no longer does: every series when the
   * process left (`next` undefined), else each series that went down or vanished.
   */
  #fold(name: string, previous: Contribution, next: Contribution | undefined): void {
    const family = this.#families.get(name) as MergedFamily;
    if (next === undefined) {
      const counts = previous.wire.counts;
      for (let c = 0; c < FAMILY_COUNTS; c++)
        family.departedCounts[c] = (family.departedCounts[c] as number) + ((counts[c] as number) || 0);
    }
    if (family.type === 'gauge') return;
    const width = family.width;
    // The cell that only grows: a counter's value, a histogram's +Inf count.
    const main = family.type === 'histogram' ? width - 2 : 0;
    const epoch = ++this.#epoch;
    if (next !== undefined) {
      for (let i = 0; i < next.slots.length; i++) {
        const slot = next.slots[i] as number;
        family.mark[slot] = epoch;
        family.markIndex[slot] = i;
      }
    }
    const before = previous.wire.values;
    for (let j = 0; j < previous.slots.length; j++) {
      const slot = previous.slots[j] as number;
      if (next !== undefined && family.mark[slot] === epoch) {
        const i = family.markIndex[slot] as number;
        if ((next.wire.values[i * width + main] as number) >= (before[j * width + main] as number)) continue;
      }
      for (let c = 0; c < width; c++) {
        const cell = slot * width + c;
        family.departed[cell] = (family.departed[cell] as number) + ((before[j * width + c] as number) || 0);
      }
    }
  }

  #render(answers: readonly ProcessAnswer[], timestamp: number): MetricsSnapshot {
    const families: MetricFamilySnapshot[] = [];
    for (const [name, family] of this.#families) {
      const width = family.width;
      const values = new Float64Array(family.slotCount * width);
      if (family.type !== 'gauge') values.set(family.departed.subarray(0, values.length));
      const counts = Float64Array.from(family.departedCounts);
      const epoch = ++this.#epoch;
      let live = false;
      for (const answer of answers) {
        const contribution = this.#processes.get(answer.key)?.contributions.get(name);
        if (contribution === undefined) continue;
        live = true;
        const wire = contribution.wire;
        for (let c = 0; c < FAMILY_COUNTS; c++)
          counts[c] = (counts[c] as number) + ((wire.counts[c] as number) || 0);
        this.#add(family, contribution, values, epoch);
      }
      const series = family.series(values, epoch);
      if (!live && series.length === 0) continue;
      families.push(family.snapshot(counts, series));
    }
    return Object.freeze({ timestamp, families: Object.freeze(families) });
  }

  #add(family: MergedFamily, contribution: Contribution, values: Float64Array, epoch: number): void {
    const width = family.width;
    const wire = contribution.wire.values;
    const slots = contribution.slots;
    const mode = family.mode;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number;
      const first = family.mark[slot] !== epoch;
      family.mark[slot] = epoch;
      if (family.type !== 'gauge' || mode === 'sum' || mode === 'pid') {
        for (let c = 0; c < width; c++) {
          const cell = slot * width + c;
          values[cell] = (values[cell] as number) + ((wire[i * width + c] as number | null) ?? Number.NaN);
        }
        continue;
      }
      const value = (wire[i] as number | null) ?? Number.NaN;
      const current = values[slot] as number;
      if (first || mode === 'last') values[slot] = value;
      else if (mode === 'min') values[slot] = Math.min(value, current);
      else values[slot] = Math.max(value, current);
    }
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.warn(message);
  }
}
