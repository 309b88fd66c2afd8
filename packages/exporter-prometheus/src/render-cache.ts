import type { MetricFamilySnapshot, SeriesSnapshotBase } from '@tasker/metrics-native';
import type { ExpositionFormat } from './content-type';
import { escapeLabelValue, escapeTextHelp, formatValue, labelBlock } from './exposition-text';

/**
 * What a scrape would otherwise rebuild every time, rendered once, as UTF-8 bytes:
 * - a family's header (`# HELP` / `# TYPE` / `# UNIT` lines), until its help, unit or type
 *   changes;
 * - a series' sample-name-and-label prefixes (`requests_total{route="/a"} `, one per histogram
 *   bucket), kept in an array indexed by the series' store slot and checked against its
 *   generation. Finding them costs an array read, not a key built from the labels; a slot
 *   reused by another series after an eviction has a new generation, and its prefixes are
 *   rendered anew over the old ones. The arrays are as long as the instrument's highest slot,
 *   so the cache is bounded by the series limit.
 *
 * A scrape then copies cached bytes and formats only the numbers.
 */

/**
 * The prefixes of one series, in order:
 * - counter: the sample, then (OpenMetrics) `_created`;
 * - gauge: the sample;
 * - histogram: one per bucket (`+Inf` last), `_count`, `_sum`, then (OpenMetrics) `_created`.
 *
 * They are views into one buffer per series, made once, so that writing one is a single
 * `set()` (bench/exporter-prometheus.bench.ts: a byte loop over ranges cost a third more).
 */
export type SeriesPrefixes = readonly Uint8Array[];

export interface FamilyEntry {
  readonly header: Uint8Array;
  /** The name the samples start with: a counter's family name without `_total` in OpenMetrics. */
  readonly base: string;
  /** Rendered prefixes by store slot, valid while `generations[slot]` matches the series'. */
  readonly prefixes: (SeriesPrefixes | undefined)[];
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

function pack(parts: readonly string[]): SeriesPrefixes {
  const bytes = Buffer.from(parts.join(''), 'utf8');
  const views: Uint8Array[] = [];
  let start = 0;
  for (const part of parts) {
    const end = start + Buffer.byteLength(part, 'utf8');
    views.push(bytes.subarray(start, end));
    start = end;
  }
  return views;
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
        header: Buffer.from(header(family, this.#format, base), 'utf8'),
        base,
        prefixes: [],
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

  /** The prefixes of `series`, from the cache or rendered now. */
  prefixes(entry: FamilyEntry, series: SeriesSnapshotBase): SeriesPrefixes {
    const cached = entry.prefixes[series.slot];
    if (cached !== undefined && entry.generations[series.slot] === series.generation) return cached;
    const made = pack(this.#render(entry, series.labels));
    entry.prefixes[series.slot] = made;
    entry.generations[series.slot] = series.generation;
    return made;
  }

  #render(entry: FamilyEntry, labels: Readonly<Record<string, string>>): string[] {
    const om = this.#format === 'openmetrics';
    const block = labelBlock(labels);
    const created = om ? [`${entry.base}_created${block} `] : [];
    if (entry.type === 'counter') return [`${entry.base}${om ? '_total' : ''}${block} `, ...created];
    if (entry.type === 'gauge') return [`${entry.base}${block} `];
    const bounds = [...(entry.buckets ?? []), Number.POSITIVE_INFINITY];
    return [
      ...bounds.map((le) => `${entry.base}_bucket${labelBlock(labels, `le="${formatValue(le)}"`)} `),
      `${entry.base}_count${block} `,
      `${entry.base}_sum${block} `,
      ...created,
    ];
  }
}
