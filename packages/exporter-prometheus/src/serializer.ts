import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricsSnapshot } from '@tasker/metrics-native';
import { ByteSink } from './byte-sink';
import type { ExpositionFormat } from './content-type';
import { RenderCache } from './render-cache';
import { ScrapeRender } from './scrape-render';

/** Options of one serialization. */
export interface SerializeOptions {
  /** `'text'` (Prometheus 0.0.4, the default) or `'openmetrics'` (OpenMetrics 1.0). */
  readonly format?: ExpositionFormat;
}

/** Options of a chunked serialization. */
export interface ChunkedSerializeOptions extends SerializeOptions {
  /**
   * Longest time, in milliseconds, to render before yielding to the event loop. Default 8.
   * A slice ends at the first check past the budget; checks come every `checkEvery` series.
   */
  readonly sliceMs?: number;
  /** Series rendered between two clock checks. Default 128. */
  readonly checkEvery?: number;
  /** Called with the duration of each synchronous slice, in milliseconds. */
  readonly onSlice?: (durationMs: number) => void;
}

/**
 * Turns snapshots into exposition text, keeping rendered headers and label blocks between
 * calls. Use one serializer for all the scrapes of a registry.
 */
export interface Serializer {
  /** The whole snapshot, rendered synchronously, as text. */
  serialize(snapshot: MetricsSnapshot, options?: SerializeOptions): string;
  /** The whole snapshot, rendered synchronously, as UTF-8 bytes (what an HTTP body needs). */
  serializeBytes(snapshot: MetricsSnapshot, options?: SerializeOptions): Uint8Array;
  /**
   * The snapshot as UTF-8 chunks, yielding to the event loop between slices of at most about
   * `sliceMs`, so that a large registry never blocks the process for a whole scrape.
   */
  serializeChunks(
    snapshot: MetricsSnapshot,
    options?: ChunkedSerializeOptions,
  ): AsyncGenerator<Uint8Array, void, void>;
  /** Families held in each format's cache. */
  cachedFamilies(): { text: number; openmetrics: number };
}

function joined(chunks: Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
}

class CachingSerializer implements Serializer {
  readonly #caches = { text: new RenderCache('text'), openmetrics: new RenderCache('openmetrics') };
  /** The size of the last render of each format, to size the next one's buffer. */
  readonly #lastBytes = { text: 0, openmetrics: 0 };
  #scrapes = 0;

  serialize(snapshot: MetricsSnapshot, options: SerializeOptions = {}): string {
    return Buffer.from(this.serializeBytes(snapshot, options)).toString('utf8');
  }

  serializeBytes(snapshot: MetricsSnapshot, options: SerializeOptions = {}): Uint8Array {
    const format = options.format ?? 'text';
    const sink = new ByteSink(this.#lastBytes[format]);
    new ScrapeRender(snapshot, format, this.#caches[format], sink, ++this.#scrapes).next(
      Number.POSITIVE_INFINITY,
    );
    this.#lastBytes[format] = sink.written;
    return joined(sink.drain());
  }

  async *serializeChunks(
    snapshot: MetricsSnapshot,
    options: ChunkedSerializeOptions = {},
  ): AsyncGenerator<Uint8Array, void, void> {
    const format = options.format ?? 'text';
    const sliceMs = options.sliceMs ?? 8;
    const checkEvery = options.checkEvery ?? 128;
    const sink = new ByteSink(this.#lastBytes[format]);
    const render = new ScrapeRender(snapshot, format, this.#caches[format], sink, ++this.#scrapes);
    while (!render.done) {
      const start = performance.now();
      let elapsed = 0;
      do {
        render.next(checkEvery);
        elapsed = performance.now() - start;
      } while (!render.done && elapsed < sliceMs);
      options.onSlice?.(elapsed);
      if (render.done) this.#lastBytes[format] = sink.written;
      yield joined(sink.drain());
      if (!render.done) await nextTurn();
    }
  }

  cachedFamilies(): { text: number; openmetrics: number } {
    return { text: this.#caches.text.familyCount, openmetrics: this.#caches.openmetrics.familyCount };
  }
}

/**
 * Makes a serializer with its own render cache.
 *
 * @example
 * ```ts
 * const serializer = createSerializer();
 * const body = serializer.serialize(registry.collect(), { format: 'openmetrics' });
 * ```
 */
export function createSerializer(): Serializer {
  return new CachingSerializer();
}

/**
 * Renders one snapshot in the text (default) or OpenMetrics format, with a cache that lives
 * for this call only. For repeated scrapes, keep a {@link createSerializer}.
 */
export function serialize(snapshot: MetricsSnapshot, options: SerializeOptions = {}): string {
  return new CachingSerializer().serialize(snapshot, options);
}
