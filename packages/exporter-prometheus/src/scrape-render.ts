import type {
  CounterFamilySnapshot,
  ExemplarSnapshot,
  GaugeFamilySnapshot,
  HistogramFamilySnapshot,
  MetricsSnapshot,
} from '@tasker/metrics-native';
import type { ExpositionFormat } from './content-type';
import { formatSeconds, formatValue, labelBlock } from './exposition-text';
import type { FamilyEntry, RenderCache } from './render-cache';

function exemplar(e: ExemplarSnapshot | undefined): string {
  if (e === undefined) return '';
  return ` # ${labelBlock(e.labels) || '{}'} ${formatValue(e.value)} ${formatSeconds(e.timestamp)}`;
}

/**
 * Renders one snapshot, a few series at a time: `next(maxSeries)` returns the text of up to
 * `maxSeries` more series (with their family headers), and `done` tells when the whole
 * snapshot is written. The synchronous serializer calls it once with no limit; the chunked one
 * calls it in slices and yields to the event loop between them.
 */
export class ScrapeRender {
  readonly #snapshot: MetricsSnapshot;
  readonly #format: ExpositionFormat;
  readonly #cache: RenderCache;
  readonly #scrape: number;
  #family = 0;
  /** -1: the family's header is not written yet. */
  #series = -1;
  #entry: FamilyEntry | undefined;
  done = false;

  constructor(snapshot: MetricsSnapshot, format: ExpositionFormat, cache: RenderCache, scrape: number) {
    this.#snapshot = snapshot;
    this.#format = format;
    this.#cache = cache;
    this.#scrape = scrape;
  }

  next(maxSeries: number): string {
    let out = '';
    let budget = maxSeries;
    const families = this.#snapshot.families;
    while (budget > 0 && this.#family < families.length) {
      const family = families[this.#family] as
        | CounterFamilySnapshot
        | GaugeFamilySnapshot
        | HistogramFamilySnapshot;
      if (this.#series < 0) {
        this.#entry = this.#cache.family(family, this.#scrape);
        out += this.#entry.header;
        this.#series = 0;
      }
      const entry = this.#entry as FamilyEntry;
      const end = Math.min(family.series.length, this.#series + budget);
      if (family.type === 'counter') out += this.#counters(family, entry, end);
      else if (family.type === 'gauge') out += this.#gauges(family, entry, end);
      else out += this.#histograms(family, entry, end);
      budget -= end - this.#series;
      this.#series = end;
      if (end >= family.series.length) {
        this.#family++;
        this.#series = -1;
      }
    }
    if (this.#family >= families.length && !this.done) {
      this.done = true;
      this.#cache.prune(this.#scrape);
      if (this.#format === 'openmetrics') out += '# EOF\n';
    }
    return out;
  }

  #counters(family: CounterFamilySnapshot, entry: FamilyEntry, end: number): string {
    let out = '';
    const om = this.#format === 'openmetrics';
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as CounterFamilySnapshot['series'][number];
      const lines = this.#cache.counterLines(entry, s);
      out += `${lines.sample}${formatValue(s.value)}${om ? exemplar(s.exemplar) : ''}\n`;
      if (om) out += `${lines.created}${formatSeconds(s.created)}\n`;
    }
    return out;
  }

  #gauges(family: GaugeFamilySnapshot, entry: FamilyEntry, end: number): string {
    let out = '';
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as GaugeFamilySnapshot['series'][number];
      out += `${this.#cache.gaugeLines(entry, s).sample}${formatValue(s.value)}\n`;
    }
    return out;
  }

  #histograms(family: HistogramFamilySnapshot, entry: FamilyEntry, end: number): string {
    let out = '';
    const om = this.#format === 'openmetrics';
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as HistogramFamilySnapshot['series'][number];
      const lines = this.#cache.histogramLines(entry, s);
      const counts = s.counts;
      const exemplars = om ? s.exemplars : undefined;
      for (let b = 0; b < counts.length; b++) {
        out += `${lines.buckets[b]}${formatValue(counts[b] as number)}${exemplars === undefined ? '' : exemplar(exemplars[b])}\n`;
      }
      out += `${lines.count}${formatValue(s.count)}\n${lines.sum}${formatValue(s.sum)}\n`;
      if (om) out += `${lines.created}${formatSeconds(s.created)}\n`;
    }
    return out;
  }
}
