import type { Registry } from '@tasker/metrics-native';
import { z } from 'zod';
import { TEXT_CONTENT_TYPE } from './content-type';
import { ExporterError } from './errors';
import { createSerializer } from './serializer';

/** Options of {@link createPushgateway}. */
export interface PushgatewayOptions {
  /** The Pushgateway's base URL, e.g. `http://pushgateway:9091`. */
  readonly url: string;
  /** The `job` grouping label. */
  readonly job: string;
  /** More grouping labels (e.g. `{ instance: 'batch-7' }`). */
  readonly groupingLabels?: Readonly<Record<string, string>>;
  /** What to push. */
  readonly registry: Pick<Registry, 'collect'>;
  /** Timeout of each attempt, in ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts after the first one, on 5xx, timeouts and network errors. Default 3. */
  readonly retries?: number;
  /** First backoff, in ms, doubled after each attempt (capped at 10 s). Default 250. */
  readonly backoffMs?: number;
  /** Extra request headers, e.g. `authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use. Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** A Pushgateway client for one grouping key. */
export interface Pushgateway {
  /** PUT: replaces every metric of the group with the registry's. */
  push(): Promise<void>;
  /** POST: replaces only the metrics with the same names as the registry's. */
  pushAdd(): Promise<void>;
  /** DELETE: removes the whole group. */
  delete(): Promise<void>;
  /** The group's URL. */
  readonly groupUrl: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const optionsSchema = z.strictObject({
  url: z.url({ error: 'expected an absolute http(s) URL' }),
  job: z.string({ error: 'expected a string' }).min(1, { error: 'expected a non-empty job name' }),
  groupingLabels: z
    .record(z.string(), z.string({ error: 'expected a string value' }))
    .check((ctx) => {
      for (const name of Object.keys(ctx.value)) {
        const problem =
          name === 'job'
            ? 'expected a label other than "job" (give the job as `job`)'
            : LABEL_NAME.test(name)
              ? undefined
              : 'expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)';
        if (problem !== undefined)
          ctx.issues.push({ code: 'custom', message: problem, input: name, path: [name] });
      }
    })
    .optional(),
  registry: z.custom<Pick<Registry, 'collect'>>(
    (v) => typeof v === 'object' && v !== null && typeof (v as Registry).collect === 'function',
    { error: 'expected a registry (an object with collect())' },
  ),
  timeoutMs: z.number().int().positive({ error: 'expected a positive integer' }).optional(),
  retries: z.number().int().min(0, { error: 'expected an integer of at least 0' }).optional(),
  backoffMs: z.number().int().min(0, { error: 'expected an integer of at least 0' }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z
    .custom<typeof fetch>((v) => typeof v === 'function', { error: 'expected a fetch function' })
    .optional(),
});

/** A path segment of a grouping key; values with `/` (or empty ones) use the `@base64` form. */
function segment(name: string, value: string): string {
  if (value.length === 0 || value.includes('/')) {
    return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url') || '='}`;
  }
  return `${name}/${encodeURIComponent(value)}`;
}

function groupPath(job: string, labels: Readonly<Record<string, string>>): string {
  let path = `/metrics/${segment('job', job)}`;
  for (const [name, value] of Object.entries(labels)) path += `/${segment(name, value)}`;
  return path;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Pushgateway client, for batch jobs that end before a scrape could reach them. It retries
 * 5xx answers, timeouts and network errors with exponential backoff, and throws an
 * `ExporterError` at once on a 4xx, with the gateway's explanation.
 *
 * @example
 * ```ts
 * const gateway = createPushgateway({ url: 'http://pushgateway:9091', job: 'nightly_import', registry });
 * await gateway.push();
 * ```
 */
export function createPushgateway(input: PushgatewayOptions): Pushgateway {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ExporterError('EXPORTER_OPTIONS_INVALID', `Invalid Pushgateway options: ${detail}`);
  }
  const options = input;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 250;
  const serializer = createSerializer();
  // Appended to the base URL's path, so a gateway behind a path prefix (a reverse proxy's
  // `/pushgateway`, or `--web.route-prefix`) is reached there.
  const base = new URL(options.url);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}${groupPath(options.job, options.groupingLabels ?? {})}`;
  const groupUrl = base.href;

  async function send(method: 'PUT' | 'POST' | 'DELETE'): Promise<void> {
    const body =
      method === 'DELETE' ? undefined : serializer.serialize(options.registry.collect(), { format: 'text' });
    let lastError: ExporterError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(backoffMs * 2 ** (attempt - 1), 10_000));
      let response: Response;
      try {
        response = await doFetch(groupUrl, {
          method,
          body,
          headers: {
            ...(body === undefined ? {} : { 'content-type': TEXT_CONTENT_TYPE }),
            ...options.headers,
          },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timedOut =
          error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        lastError = timedOut
          ? new ExporterError(
              'PUSHGATEWAY_TIMEOUT',
              `${method} ${groupUrl} timed out after ${timeoutMs} ms`,
              { cause: error },
            )
          : new ExporterError(
              'PUSHGATEWAY_UNAVAILABLE',
              `${method} ${groupUrl} failed: ${error instanceof Error ? error.message : String(error)}`,
              { cause: error },
            );
        continue;
      }
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const text = (await response.text().catch(() => '')).trim().slice(0, 500);
      const reason = `${method} ${groupUrl} answered ${response.status}${text.length > 0 ? `: ${text}` : ''}`;
      if (response.status < 500) {
        throw new ExporterError('PUSHGATEWAY_REJECTED', `The Pushgateway rejected the push: ${reason}`, {
          status: response.status,
        });
      }
      lastError = new ExporterError('PUSHGATEWAY_UNAVAILABLE', reason, { status: response.status });
    }
    const error = lastError as ExporterError;
    throw new ExporterError(error.code, `${error.message} (after ${retries + 1} attempts)`, {
      cause: error.cause,
      status: error.status,
    });
  }

  return {
    groupUrl,
    push: () => send('PUT'),
    pushAdd: () => send('POST'),
    delete: () => send('DELETE'),
  };
}
