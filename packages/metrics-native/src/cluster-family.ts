import { type FullWireFamily, wireWidth } from './cluster-wire';
import { type MetricType, OVERFLOW_LABEL } from './metric-name';
import type {
  CounterSeriesSnapshot,
  FamilySnapshotBase,
  GaugeSeriesSnapshot,
  HistogramSeriesSnapshot,
  MetricFamilySnapshot,
} from './snapshot';

/** How the series of one gauge family are merged across processes. */
export type GaugeMergeMode = 'sum' | 'min' | 'max' | 'last' | 'pid';

/** The label a `pid`-mode gauge gains. */
export const PID_LABEL = 'pid';

/** Refusal counts per family in the wire form: folded, evicted, 3 kinds of drop, collect errors. */
export const FAMILY_COUNTS = 6;

type AnySeries = CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot;

/**
 * One family of the merged scrape: the slot of every label set (stable across scrapes), the
 * values departed processes left, and the scratch marks a merge pass uses.
 */
export class MergedFamily {
  readonly type: MetricType;
  /** Numbers per series, as in the wire form. */
  readonly width: number;
  readonly buckets: readonly number[];
  readonly base: FamilySnapshotBase;
  readonly mode: GaugeMergeMode;
  readonly #keys = new Map<string, number>();
  readonly #keyOf: string[] = [];
  readonly #labels: Readonly<Record<string, string>>[] = [];
  readonly #overflow: boolean[] = [];
  readonly #created: number[] = [];
  readonly #generations: number[] = [];
  readonly #free: number[] = [];
  #isFree = new Uint8Array(0);
  departed = new Float64Array(0);
  readonly departedCounts = new Float64Array(FAMILY_COUNTS);
  /** Scratch, indexed by slot: the pass that last marked it, and a series index. */
  mark = new Int32Array(0);
  markIndex = new Int32Array(0);
  slotCount = 0;

  constructor(wire: FullWireFamily, mode: GaugeMergeMode) {
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
  mismatch(wire: FullWireFamily): string | undefined {
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

  /** The slot of the wire family's series `index`, made on first sight. */
  slotFor(wire: FullWireFamily, index: number, pid: number): number {
    const count = wire.labelNames.length;
    const isOverflow = index === wire.overflow;
    let key = isOverflow ? '\u0002' : labelKey(wire.labels, index * count, count);
    if (this.mode === 'pid') key += `\u0001${pid}`;
    let slot = this.#keys.get(key);
    const created = wire.created[index] ?? 0;
    if (slot === undefined) {
      slot = this.#free.length > 0 ? (this.#free.pop() as number) : this.slotCount++;
      this.#grow();
      this.#isFree[slot] = 0;
      const labels: Record<string, string> = {};
      if (isOverflow) labels[OVERFLOW_LABEL] = 'true';
      else
        for (let k = 0; k < count; k++)
          labels[wire.labelNames[k] as string] = wire.labels[index * count + k] as string;
      if (this.mode === 'pid') labels[PID_LABEL] = String(pid);
      this.#keys.set(key, slot);
      this.#keyOf[slot] = key;
      this.#labels[slot] = Object.freeze(labels);
      this.#overflow[slot] = isOverflow;
      this.#created[slot] = created;
      this.#generations[slot] = (this.#generations[slot] ?? -1) + 1;
    } else if (created < (this.#created[slot] as number)) {
      this.#created[slot] = created;
    }
    return slot;
  }

  /**
   * The snapshot series of every slot in use, from the merged `values`. A gauge slot not
   * marked by pass `epoch` (no process holds it) is freed instead.
   */
  series(values: Float64Array, epoch: number): AnySeries[] {
    const out: AnySeries[] = [];
    const width = this.width;
    const type = this.type;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (this.#isFree[slot] === 1) continue;
      const labels = this.#labels[slot] as Readonly<Record<string, string>>;
      const generation = this.#generations[slot] as number;
      const created = this.#created[slot] as number;
      const overflow = this.#overflow[slot] as boolean;
      if (type === 'gauge') {
        if (this.mark[slot] !== epoch) {
          this.#release(slot);
          continue;
        }
        out.push(
          Object.freeze({ labels, slot, generation, created, overflow, value: values[slot] as number }),
        );
      } else if (type === 'counter') {
        const value = values[slot] as number;
        out.push(Object.freeze({ labels, slot, generation, created, overflow, value, exemplar: undefined }));
      } else {
        const cells = width - 1;
        const from = slot * width;
        const counts = new Array<number>(cells);
        for (let c = 0; c < cells; c++) counts[c] = values[from + c] as number;
        const count = counts[cells - 1] as number;
        const sum = values[from + cells] as number;
        out.push(
          Object.freeze({
            labels,
            slot,
            generation,
            created,
            overflow,
            counts: Object.freeze(counts),
            exemplars: undefined,
            count,
            sum,
          }),
        );
      }
    }
    return out;
  }

  /** The family's snapshot, with the merged refusal `counts`. */
  snapshot(counts: Float64Array, series: readonly AnySeries[]): MetricFamilySnapshot {
    const base: FamilySnapshotBase = {
      ...this.base,
      foldedUpdates: counts[0] as number,
      evictedSeries: counts[1] as number,
      dropped: Object.freeze({
        invalidValue: counts[2] as number,
        invalidLabels: counts[3] as number,
        invalidExemplar: counts[4] as number,
      }),
      collectErrors: counts[5] as number,
    };
    if (this.type === 'histogram') {
      return Object.freeze({
        ...base,
        type: 'histogram',
        buckets: this.buckets,
        series: Object.freeze(series as HistogramSeriesSnapshot[]),
      });
    }
    if (this.type === 'counter') {
      return Object.freeze({
        ...base,
        type: 'counter',
        series: Object.freeze(series as CounterSeriesSnapshot[]),
      });
    }
    return Object.freeze({ ...base, type: 'gauge', series: Object.freeze(series as GaugeSeriesSnapshot[]) });
  }

  /** Frees a gauge slot no process holds any more; its next series gets a new generation. */
  #release(slot: number): void {
    this.#keys.delete(this.#keyOf[slot] as string);
    this.#free.push(slot);
    this.#isFree[slot] = 1;
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
    const isFree = new Uint8Array(size);
    isFree.set(this.#isFree);
    this.#isFree = isFree;
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

/** True when two answers of a process name the same series in the same order. */
export function sameSeries(a: FullWireFamily, b: FullWireFamily): boolean {
  if (
    a.overflow !== b.overflow ||
    a.labels.length !== b.labels.length ||
    a.created.length !== b.created.length
  ) {
    return false;
  }
  const x = a.labels;
  const y = b.labels;
  if (x === y) return true;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
