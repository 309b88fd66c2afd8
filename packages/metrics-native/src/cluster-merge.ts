import { type WireFamily, type WireSnapshot, wireWidth } from './cluster-wire';
import type { MetricType } from './metric-name';
import { OVERFLOW_LABEL } from './metric-name';
import type {
  CounterSeriesSnapshot,
  FamilySnapshotBase,
  GaugeSeriesSnapshot,
  HistogramSeriesSnapshot,
  MetricFamilySnapshot,
  MetricsSnapshot,
} from './snapshot';

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
 * The merge is one pass over the answers: a map lookup per series, then array additions.
 */

/** How the series of one gauge family are merged across processes. */
export type GaugeMergeMode = 'sum' | 'min' | 'max' | 'last' | 'pid';

/** One process's answer to a scrape. */
export interface ProcessAnswer {
  /** Identifies the process across scrapes (a `cluster.Worker`, a `ChildProcess`, any key). */
  readonly key: unknown;
  readonly pid: number;
  readonly snapshot: WireSnapshot;
}

/** The label a `pid`-mode gauge gains. */
export const PID_LABEL = 'pid';

const FAMILY_COUNTS = 6;

/** What a process contributed to one family at its latest answer. */
interface Contribution {
  readonly wire: WireFamily;
  /** The merged slot of each of the wire family's series. */
  readonly slots: Int32Array;
}

interface ProcessState {
  snapshot: WireSnapshot | undefined;
  contributions: Map<string, Contribution>;
}

class MergedFamily {
  readonly type: MetricType;
  readonly width: number;
  readonly buckets: readonly number[];
  readonly base: FamilySnapshotBase;
  readonly mode: GaugeMergeMode;
  readonly keys = new Map<string, number>();
  readonly labels: Readonly<Record<string, string>>[] = [];
  readonly overflow: boolean[] = [];
  readonly created: number[] = [];
  readonly generations: number[] = [];
  readonly keyOf: string[] = [];
  readonly free: number[] = [];
  departed = new Float64Array(0);
  readonly departedCounts = new Float64Array(FAMILY_COUNTS);
  /** Scratch, indexed by slot: the scrape (or comparison) that last marked it, and a value. */
  mark = new Int32Array(0);
  markIndex = new Int32Array(0);
  slotCount = 0;

  constructor(wire: WireFamily, mode: GaugeMergeMode) {
    this.type = wire.type;
    this.buckets = Object.freeze([...wire.buckets]);
    this.width = wireWidth(wire.type, wire.buckets);
    this.mode = wire.type === 'gauge' ? mode : 'sum';
    const labelNames = this.mode === 'pid' ? [...wire.labelNames, PID_LABEL] : [...wire.labelNames];
    this.base = {
      name: wire.name,
      help: wire.help,
      unit: wire.unit ?? undefined,
      labelNames: Object.freeze(labelNames),
      seriesLimit: wire.seriesLimit,
      foldedUpdates: 0,
      evictedSeries: 0,
      dropped: { invalidValue: 0, invalidLabels: 0, invalidExemplar: 0 },
      collectErrors: 0,
    };
  }

  /** Why `wire` cannot be merged into this family, or undefined. */
  mismatch(wire: WireFamily): string | undefined {
    if (wire.type !== this.type) return `it is a ${wire.type} in one process and a ${this.type} in another`;
    const names = this.mode === 'pid' ? this.base.labelNames.slice(0, -1) : this.base.labelNames;
    if (wire.labelNames.length !== names.length || wire.labelNames.some((n, i) => n !== names[i])) {
      return `its label names differ between processes ([${wire.labelNames.join(', ')}] and [${names.join(', ')}])`;
    }
    if (wire.buckets.length !== this.buckets.length || wire.buckets.some((b, i) => b !== this.buckets[i])) {
      return 'its buckets differ between processes';
    }
    return undefined;
  }

  slotFor(wire: WireFamily, index: number, pid: number): number {
    const count = wire.labelNames.length;
    const isOverflow = index === wire.overflow;
    let key = isOverflow ? '\u0002' : labelKey(wire.labels, index * count, count);
    if (this.mode === 'pid') key += `\u0001${pid}`;
    let slot = this.keys.get(key);
    const created = wire.created[index] ?? 0;
    if (slot === undefined) {
      slot = this.free.length > 0 ? (this.free.pop() as number) : this.slotCount++;
      this.#grow();
      const labels: Record<string, string> = {};
      if (isOverflow) labels[OVERFLOW_LABEL] = 'true';
      else
        for (let k = 0; k < count; k++)
          labels[wire.labelNames[k] as string] = wire.labels[index * count + k] as string;
      if (this.mode === 'pid') labels[PID_LABEL] = String(pid);
      this.keys.set(key, slot);
      this.keyOf[slot] = key;
      this.labels[slot] = Object.freeze(labels);
      this.overflow[slot] = isOverflow;
      this.created[slot] = created;
      this.generations[slot] = (this.generations[slot] ?? -1) + 1;
    } else if (created < (this.created[slot] as number)) {
      this.created[slot] = created;
    }
    return slot;
  }

  /** Frees a gauge slot no process holds any more. */
  release(slot: number): void {
    this.keys.delete(this.keyOf[slot] as string);
    this.free.push(slot);
  }

  #grow(): void {
    if (this.mark.length >= this.slotCount) return;
    const size = Math.max(16, this.slotCount * 2);
    const departed = new Float64Array(size * this.width);
    departed.set(this.departed);
    this.departed = departed;
    const mark = new Int32Array(size);
    mark.set(this.mark);
    this.mark = mark;
    const markIndex = new Int32Array(size);
    markIndex.set(this.markIndex);
    this.markIndex = markIndex;
  }
}

/** Label values from `offset`, as one string: length-prefixed, so no two label sets share it. */
function labelKey(values: readonly string[], offset: number, count: number): string {
  if (count === 1) return values[offset] as string;
  let key = '';
  for (let k = 0; k < count; k++) {
    const value = values[offset + k] as string;
    key += `${value.length}:${value}`;
  }
  return key;
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
      const n = wire.created.length;
      const slots = new Int32Array(n);
      for (let i = 0; i < n; i++) slots[i] = family.slotFor(wire, i, answer.pid);
      const contribution = { wire, slots };
      next.set(wire.name, contribution);
      const previous = state.contributions.get(wire.name);
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
      const series = this.#series(family, values, epoch);
      if (!live && series.length === 0) continue;
      families.push(snapshotOf(family, counts, series));
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

  #series(
    family: MergedFamily,
    values: Float64Array,
    epoch: number,
  ): (CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot)[] {
    const out: (CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot)[] = [];
    const width = family.width;
    const freed = new Set(family.free);
    for (let slot = 0; slot < family.slotCount; slot++) {
      if (freed.has(slot)) continue;
      const base = {
        labels: family.labels[slot] as Readonly<Record<string, string>>,
        slot,
        generation: family.generations[slot] as number,
        created: family.created[slot] as number,
        overflow: family.overflow[slot] as boolean,
      };
      if (family.type === 'gauge') {
        if (family.mark[slot] !== epoch) {
          family.release(slot);
          continue;
        }
        out.push(Object.freeze({ ...base, value: values[slot] as number }));
      } else if (family.type === 'counter') {
        out.push(Object.freeze({ ...base, value: values[slot] as number, exemplar: undefined }));
      } else {
        const cells = width - 1;
        const counts = Array.from(values.subarray(slot * width, slot * width + cells));
        out.push(
          Object.freeze({
            ...base,
            counts: Object.freeze(counts),
            exemplars: undefined,
            count: counts[cells - 1] as number,
            sum: values[slot * width + cells] as number,
          }),
        );
      }
    }
    return out;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.warn(message);
  }
}

function snapshotOf(
  family: MergedFamily,
  counts: Float64Array,
  series: readonly (CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot)[],
): MetricFamilySnapshot {
  const base: FamilySnapshotBase = {
    ...family.base,
    foldedUpdates: counts[0] as number,
    evictedSeries: counts[1] as number,
    dropped: Object.freeze({
      invalidValue: counts[2] as number,
      invalidLabels: counts[3] as number,
      invalidExemplar: counts[4] as number,
    }),
    collectErrors: counts[5] as number,
  };
  if (family.type === 'histogram') {
    return Object.freeze({
      ...base,
      type: 'histogram',
      buckets: family.buckets,
      series: Object.freeze(series as HistogramSeriesSnapshot[]),
    });
  }
  if (family.type === 'counter') {
    return Object.freeze({
      ...base,
      type: 'counter',
      series: Object.freeze(series as CounterSeriesSnapshot[]),
    });
  }
  return Object.freeze({ ...base, type: 'gauge', series: Object.freeze(series as GaugeSeriesSnapshot[]) });
}
