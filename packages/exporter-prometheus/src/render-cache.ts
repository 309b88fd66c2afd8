import type { MetricFamilySnapshot, SeriesSnapshotBase } from '@tasker/metrics-native';
import type { ExpositionFormat } from './content-type';
import { escapeLabelValue, escapeTextHelp, formatValue, labelBlock } from './exposition-text';

/**
 * What a scrape would otherwise rebuild every time, rendered once:
 * - a family's header (`# HELP` / `# TYPE` / `# UNIT` lines), until its help, unit or type
 *   changes;
 * - a series' sample-name-and-label prefixes (`requests_total{route="/a"} `, one per histogram
 *   bucket), kept in an array indexed by the series' store slot and checked against its
 *   generation. Finding them costs an array read, not a key built from the labels; a slot
 *   reused by another series after an eviction has a new generation, and its prefixes are
 *   rendered anew over the old ones. The arrays are as long as the instrument's highest slot,
 *   so the cache is bounded by the series limit.
 *
 * A scrape then writes mostly cached strings and formats only the numbers.
 */

export interface CounterLines {
  readonly sample: string;
  /** OpenMetrics only. */
  readonly created: string;
}

export interface GaugeLines {
  readonly sample: string;
}

export interface HistogramLines {
  readonly buckets: readonly string[];
  readonly sum: string;
  readonly count: string;
  /** OpenMetrics only. */
  readonly created: string;
}

export type SeriesLines = CounterLines | GaugeLines | HistogramLines;

export interface FamilyEntry {
  readonly header: string;
  /** The name the samples start with: the counter's family name without `_total` in OpenMetrics. */
  readonly base: string;
  /** Rendered prefixes by store slot, valid while `generations[slot]` matches the series'. */
  readonly lines: (SeriesLines | undefined)[];
  readonly generations: number[];
  /** The scrape that last used this entry; entries of unregistered families are pruned. */
  seen: number;
  readonly type: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly buckets: readonly number[] | undefined;
}

function header(family: MetricFamilySnapshot, format: ExpositionFormat, base: string): string {
  if (format === 'text') {
    return `# HELP ${family.name} ${escapeTextHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  }
  const unit = family.unit === undefined ? '' : `# UNIT ${base} ${family.unit}\n`;
  return `# TYPE ${base} ${family.type}\n${unit}# HELP ${base} ${escapeLabelValue(family.help)}\n`;
}

function sameBuckets(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The cache of one format. */
export class RenderCache {
  readonly #format: ExpositionFormat;
  readonly #families = new Map<string, FamilyEntry>();

  constructor(format: ExpositionFormat) {
    this.#format = format;
  }

  /** The entry of `family`, made anew when its help, unit, type or buckets changed. */
  family(family: MetricFamilySnapshot, scrape: number): FamilyEntry {
    const buckets = family.type === 'histogram' ? family.buckets : undefined;
    let entry = this.#families.get(family.name);
    if (
      entry === undefined ||
      entry.type !== family.type ||
      entry.help !== family.help ||
      entry.unit !== family.unit ||
      !sameBuckets(entry.buckets, buckets)
    ) {
      const base =
        this.#format === 'openmetrics' && family.type === 'counter'
          ? family.name.replace(/_total$/, '')
          : family.name;
      entry = {
        header: header(family, this.#format, base),
        base,
        lines: [],
        generations: [],
        seen: scrape,
        type: family.type,
        help: family.help,
        unit: family.unit,
        buckets,
      };
      this.#families.set(family.name, entry);
    }
    entry.seen = scrape;
    return entry;
  }

  /** Drops the entries of families that the scrape `scrape` did not see. */
  prune(scrape: number): void {
    for (const [name, entry] of this.#families) if (entry.seen !== scrape) this.#families.delete(name);
  }

  get familyCount(): number {
    return this.#families.size;
  }

  #cached(entry: FamilyEntry, series: SeriesSnapshotBase): SeriesLines | undefined {
    const lines = entry.lines[series.slot];
    return lines !== undefined && entry.generations[series.slot] === series.generation ? lines : undefined;
  }

  #keep<T extends SeriesLines>(entry: FamilyEntry, series: SeriesSnapshotBase, lines: T): T {
    entry.lines[series.slot] = lines;
    entry.generations[series.slot] = series.generation;
    return lines;
  }

  counterLines(entry: FamilyEntry, series: SeriesSnapshotBase): CounterLines {
    const cached = this.#cached(entry, series) as CounterLines | undefined;
    if (cached !== undefined) return cached;
    const block = labelBlock(series.labels);
    return this.#keep(
      entry,
      series,
      this.#format === 'openmetrics'
        ? { sample: `${entry.base}_total${block} `, created: `${entry.base}_created${block} ` }
        : { sample: `${entry.base}${block} `, created: '' },
    );
  }

  gaugeLines(entry: FamilyEntry, series: SeriesSnapshotBase): GaugeLines {
    const cached = this.#cached(entry, series) as GaugeLines | undefined;
    if (cached !== undefined) return cached;
    return this.#keep(entry, series, { sample: `${entry.base}${labelBlock(series.labels)} ` });
  }

  histogramLines(entry: FamilyEntry, series: SeriesSnapshotBase): HistogramLines {
    const cached = this.#cached(entry, series) as HistogramLines | undefined;
    if (cached !== undefined) return cached;
    const labels = series.labels;
    const bounds = [...(entry.buckets ?? []), Number.POSITIVE_INFINITY];
    const block = labelBlock(labels);
    return this.#keep(entry, series, {
      buckets: bounds.map((le) => `${entry.base}_bucket${labelBlock(labels, `le="${formatValue(le)}"`)} `),
      sum: `${entry.base}_sum${block} `,
      count: `${entry.base}_count${block} `,
      created: this.#format === 'openmetrics' ? `${entry.base}_created${block} ` : '',
    });
  }
}
