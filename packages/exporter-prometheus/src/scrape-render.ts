import type {
  CounterFamilySnapshot,
  ExemplarSnapshot,
  GaugeFamilySnapshot,
  HistogramFamilySnapshot,
  MetricsSnapshot,
} from '@tasker/metrics-native';
import type { ByteSink } from './byte-sink';
import type { ExpositionFormat } from './content-type';
import { formatSeconds, formatValue, labelBlock } from './exposition-text';
import type { FamilyEntry, RenderCache } from './render-cache';

const EOF_LINE = Buffer.from('# EOF\n', 'utf8');

function writeExemplar(sink: ByteSink, e: ExemplarSnapshot | undefined): void {
  if (e === undefined) return;
  sink.utf8(` # ${labelBlock(e.labels) || '{}'} ${formatValue(e.value)} ${formatSeconds(e.timestamp)}`);
}

/**
 * Renders one snapshot into a {@link ByteSink}, a few series at a time: `next(maxSeries)`
 * writes up to `maxSeries` more series (with their family headers), and `done` tells when the
 * whole snapshot is written. The synchronous serializer calls it once with no limit; the
 * chunked one calls it in slices and yields to the event loop between them.
 */
export class ScrapeRender {
  readonly #snapshot: MetricsSnapshot;
  readonly #format: ExpositionFormat;
  readonly #cache: RenderCache;
  readonly #sink: ByteSink;
  readonly #scrape: number;
  #family = 0;
  /** -1: the family's header is not written yet. */
  #series = -1;
  #entry: FamilyEntry | undefined;
  done = false;

  constructor(
    snapshot: MetricsSnapshot,
    format: ExpositionFormat,
    cache: RenderCache,
    sink: ByteSink,
    scrape: number,
  ) {
    this.#snapshot = snapshot;
    this.#format = format;
    this.#cache = cache;
    this.#sink = sink;
    this.#scrape = scrape;
  }

  next(maxSeries: number): void {
    let budget = maxSeries;
    const families = this.#snapshot.families;
    while (budget > 0 && this.#family < families.length) {
      const family = families[this.#family] as
        | CounterFamilySnapshot
        | GaugeFamilySnapshot
        | HistogramFamilySnapshot;
      if (this.#series < 0) {
        this.#entry = this.#cache.family(family, this.#scrape);
        this.#sink.bytes(this.#entry.header);
        this.#series = 0;
      }
      const entry = this.#entry as FamilyEntry;
      const end = Math.min(family.series.length, this.#series + budget);
      if (family.type === 'counter') this.#counters(family, entry, end);
      else if (family.type === 'gauge') this.#gauges(family, entry, end);
      else this.#histograms(family, entry, end);
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
      if (this.#format === 'openmetrics') this.#sink.bytes(EOF_LINE);
    }
  }

  #counters(family: CounterFamilySnapshot, entry: FamilyEntry, end: number): void {
    const sink = this.#sink;
    const om = this.#format === 'openmetrics';
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as CounterFamilySnapshot['series'][number];
      const prefixes = this.#cache.prefixes(entry, s);
      sink.bytes(prefixes[0] as Uint8Array);
      sink.number(s.value, formatValue);
      if (om) {
        writeExemplar(sink, s.exemplar);
        sink.newline();
        sink.bytes(prefixes[1] as Uint8Array);
        sink.ascii(formatSeconds(s.created));
      }
      sink.newline();
    }
  }

  #gauges(family: GaugeFamilySnapshot, entry: FamilyEntry, end: number): void {
    const sink = this.#sink;
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as GaugeFamilySnapshot['series'][number];
      sink.bytes(this.#cache.prefixes(entry, s)[0] as Uint8Array);
      sink.number(s.value, formatValue);
      sink.newline();
    }
  }

  #histograms(family: HistogramFamilySnapshot, entry: FamilyEntry, end: number): void {
    const sink = this.#sink;
    const om = this.#format === 'openmetrics';
    for (let i = this.#series; i < end; i++) {
      const s = family.series[i] as HistogramFamilySnapshot['series'][number];
      const prefixes = this.#cache.prefixes(entry, s);
      const counts = s.counts;
      const exemplars = om ? s.exemplars : undefined;
      const n = counts.length;
      for (let b = 0; b < n; b++) {
        sink.bytes(prefixes[b] as Uint8Array);
        sink.number(counts[b] as number, formatValue);
        if (exemplars !== undefined) writeExemplar(sink, exemplars[b]);
        sink.newline();
      }
      sink.bytes(prefixes[n] as Uint8Array);
      sink.number(s.count, formatValue);
      sink.newline();
      sink.bytes(prefixes[n + 1] as Uint8Array);
      sink.number(s.sum, formatValue);
      sink.newline();
      if (om) {
        sink.bytes(prefixes[n + 2] as Uint8Array);
        sink.ascii(formatSeconds(s.created));
        sink.newline();
      }
    }
  }
}
