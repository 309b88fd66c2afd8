import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectOptions, MetricsSnapshot, Registry } from '@tasker/metrics-native';
import { z } from 'zod';
import { acceptsGzip, contentTypeOf, type ExpositionFormat, negotiateFormat } from './content-type';
import { ExporterError } from './errors';
import { gzipParts } from './gzip-parts';
import { createSerializer, type Serializer } from './serializer';

/**
 * What the handler needs of a registry: `collect()`, and `counter()` for its error counter.
 * When it has `collectInSlices()` (every registry of `@tasker/metrics-native` does), a chunked
 * scrape collects in slices too. `collect()` may return a promise, as a cluster aggregator's
 * does (`createClusterAggregator()` of `@tasker/metrics-native`, which merges every process).
 */
export interface MetricsRegistry {
  collect(options?: CollectOptions): MetricsSnapshot | PromiseLike<MetricsSnapshot>;
  counter: Registry['counter'];
  collectInSlices?: Registry['collectInSlices'];
}

/** Options of {@link createMetricsHandler}. */
export interface MetricsHandlerOptions {
  /** The registry to scrape. The handler adds `tasker_metrics_export_errors_total` to it. */
  readonly registry: MetricsRegistry;
  /**
   * Collect and render in slices that yield to the event loop (default true), so that a large
   * registry never blocks the process for a whole scrape.
   */
  readonly chunked?: boolean;
  /** Longest synchronous collect or render slice, in ms, when chunked. Default 8. */
  readonly sliceMs?: number;
  /** Gzip the body when the client accepts it (default true). Compression runs off the loop. */
  readonly compression?: boolean;
  /**
   * Told how long each synchronous part of a scrape held the event loop, in ms: each collect
   * slice, each render slice, each hand-over to gzip. For monitoring the exporter's own cost.
   */
  readonly onSlice?: (durationMs: number) => void;
  /**
   * Export the registry's self-metrics (default true): `tasker_metrics_series_folded_total`,
   * `tasker_metrics_series_evicted_total` and `tasker_metrics_updates_dropped_total`, per
   * instrument, so that an alert can fire on a full series limit or dropped updates.
   */
  readonly selfMetrics?: boolean;
  /** Told of every failed scrape (the counter counts them too). */
  readonly onError?: (error: unknown) => void;
  /** A serializer to share; by default the handler keeps its own. */
  readonly serializer?: Serializer;
}

/** The status, headers and body of a scrape answer, before it becomes a `Response`. */
export interface ScrapeResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** A fetch-style handler: what web frameworks (hono, Next.js route handlers, Bun, Deno) take. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A `node:http` request listener. */
export type NodeHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const optionsSchema = z.strictObject({
  registry: z.custom<MetricsRegistry>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as MetricsRegistry).collect === 'function' &&
      typeof (v as MetricsRegistry).counter === 'function',
    { error: 'expected a registry from @tasker/metrics-native (an object with collect() and counter())' },
  ),
  chunked: z.boolean({ error: 'expected true or false' }).optional(),
  sliceMs: z
    .number({ error: 'expected a number of milliseconds' })
    .positive({ error: 'expected a positive number' })
    .optional(),
  compression: z.boolean({ error: 'expected true or false' }).optional(),
  selfMetrics: z.boolean({ error: 'expected true or false' }).optional(),
  onSlice: z
    .custom<(ms: number) => void>((v) => typeof v === 'function', { error: 'expected a function' })
    .optional(),
  onError: z
    .custom<(error: unknown) => void>((v) => typeof v === 'function', { error: 'expected a function' })
    .optional(),
  serializer: z
    .custom<Serializer>((v) => typeof v === 'object' && v !== null && 'serializeChunks' in v, {
      error: 'expected a serializer from createSerializer()',
    })
    .optional(),
});

export function checkHandlerOptions(options: unknown): MetricsHandlerOptions {
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ExporterError('EXPORTER_OPTIONS_INVALID', `Invalid metrics handler options: ${detail}`);
  }
  return result.data as MetricsHandlerOptions;
}

function json(status: number, value: unknown, extra: Record<string, string> = {}): ScrapeResult {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra },
    body: JSON.stringify(value),
  };
}

/** A whole render as a one-part stream, so both paths feed gzip the same way. */
async function* whole(
  serializer: Serializer,
  snapshot: MetricsSnapshot,
  format: ExpositionFormat,
  onSlice: ((ms: number) => void) | undefined,
): AsyncGenerator<Uint8Array, void, void> {
  const start = performance.now();
  const bytes = serializer.serializeBytes(snapshot, { format });
  onSlice?.(performance.now() - start);
  yield bytes;
}

/** The registry's snapshot: in slices when chunked and the registry can, else in one piece. */
async function collect(
  registry: MetricsRegistry,
  chunked: boolean,
  selfMetrics: boolean,
  sliceMs: number | undefined,
  onSlice: ((ms: number) => void) | undefined,
): Promise<MetricsSnapshot> {
  if (chunked && registry.collectInSlices !== undefined) {
    return registry.collectInSlices({
      sliceMs: sliceMs ?? 8,
      selfMetrics,
      ...(onSlice === undefined ? {} : { onSlice }),
    });
  }
  const start = performance.now();
  const collected = registry.collect({ selfMetrics });
  // Only the synchronous part holds the loop; an aggregator's wait for its processes does not.
  onSlice?.(performance.now() - start);
  return await collected;
}

async function concat(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const all: Uint8Array[] = [];
  for await (const part of parts) all.push(part);
  return all.length === 1 ? (all[0] as Uint8Array) : Buffer.concat(all);
}

/**
 * The scrape logic both adapters share: method check, format negotiation, collect, render
 * (chunked or not), gzip, and the 503 answer when collecting or rendering throws.
 */
export function createScraper(
  input: MetricsHandlerOptions,
): (request: {
  method: string;
  accept: string | null | undefined;
  acceptEncoding: string | null | undefined;
}) => Promise<ScrapeResult> {
  const options = checkHandlerOptions(input);
  const serializer = options.serializer ?? createSerializer();
  const errors = options.registry.counter({
    name: 'tasker_metrics_export_errors_total',
    help: 'Scrapes that failed because collecting or rendering the metrics threw',
  });
  const chunked = options.chunked ?? true;
  const compression = options.compression ?? true;
  const selfMetrics = options.selfMetrics ?? true;

  return async ({ method, accept, acceptEncoding }) => {
    if (method !== 'GET' && method !== 'HEAD') {
      return json(
        405,
        { error: 'method_not_allowed', message: `${method} is not allowed; use GET or HEAD` },
        { allow: 'GET, HEAD' },
      );
    }
    const format = negotiateFormat(accept);
    const gzip = compression && acceptsGzip(acceptEncoding);
    const onSlice = options.onSlice;
    let body: Uint8Array;
    try {
      const snapshot = await collect(options.registry, chunked, selfMetrics, options.sliceMs, onSlice);
      const parts = chunked
        ? serializer.serializeChunks(snapshot, { format, sliceMs: options.sliceMs, onSlice })
        : whole(serializer, snapshot, format, onSlice);
      body = gzip ? await gzipParts(parts, onSlice) : await concat(parts);
    } catch (error) {
      errors.inc();
      try {
        options.onError?.(error);
      } catch {
        // A failing error hook must not turn a 503 into a crash.
      }
      return json(503, {
        error: 'metrics_unavailable',
        message:
          'Collecting the metrics failed; the failure is counted in tasker_metrics_export_errors_total',
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    const headers: Record<string, string> = {
      'content-type': contentTypeOf(format),
      'cache-control': 'no-store',
      vary: 'Accept, Accept-Encoding',
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    return { status: 200, headers, body };
  };
}

/**
 * A fetch-style `/metrics` handler: `(request: Request) => Promise<Response>`. It picks text or
 * OpenMetrics from `Accept`, gzips when `Accept-Encoding` allows, answers 405 to methods other
 * than GET and HEAD, and 503 with a JSON body when collecting throws.
 *
 * @example
 * ```ts
 * const handler = createMetricsHandler({ registry });
 * const response = await handler(new Request('http://localhost/metrics'));
 * ```
 */
export function createMetricsHandler(options: MetricsHandlerOptions): FetchHandler {
  const scrape = createScraper(options);
  return async (request) => {
    const result = await scrape({
      method: request.method,
      accept: request.headers.get('accept'),
      acceptEncoding: request.headers.get('accept-encoding'),
    });
    const body = request.method === 'HEAD' ? null : result.body;
    return new Response(body, { status: result.status, headers: result.headers });
  };
}

/**
 * The same handler for `node:http` (and Express, Fastify's raw mode, Koa's `ctx.req/res`).
 *
 * @example
 * ```ts
 * http.createServer(createNodeMetricsHandler({ registry })).listen(9464);
 * ```
 */
export function createNodeMetricsHandler(options: MetricsHandlerOptions): NodeHandler {
  const scrape = createScraper(options);
  return async (request, response) => {
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
    const result = await scrape({
      method: request.method ?? 'GET',
      accept: header('accept'),
      acceptEncoding: header('accept-encoding'),
    });
    const length = typeof result.body === 'string' ? Buffer.byteLength(result.body) : result.body.byteLength;
    // setHeader rather than writeHead(status, headers), so that middleware can read them.
    for (const [name, value] of Object.entries(result.headers)) response.setHeader(name, value);
    response.setHeader('content-length', String(length));
    response.statusCode = result.status;
    response.end(request.method === 'HEAD' ? undefined : result.body);
  };
}
