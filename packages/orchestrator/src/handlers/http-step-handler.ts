/**
 * The built-in HTTP step handler: the original's API step handler, on `fetch`, with a request
 * timeout (which the original lacked). It classifies responses as the original did:
 *
 * | response                            | outcome                                                       |
 * | ----------------------------------- | ------------------------------------------------------------- |
 * | 2xx                                 | success: `{ status, body }` (JSON when the response is JSON)  |
 * | 429, 503                            | `RetryableError`, honouring `Retry-After` (seconds or a date) |
 * | 400, 401, 403, 404, 422 (other 4xx) | `PermanentError` with code `HTTP_<status>`                   |
 * | any other 5xx                       | `RetryableError`                                              |
 * | network error, timeout              | `RetryableError`                                              |
 *
 * A step configures it through `handlerConfig`: `url` (required), `method` (default `POST`),
 * `headers`, `timeoutMs`, and `body` (default: the step's inputs, as JSON; none for GET).
 */
import { PermanentError, RetryableError, TaskerError } from '../errors';
import type { StepContext, StepHandler } from './step-handler';

/** Options of {@link createHttpStepHandler}. */
export interface HttpStepHandlerOptions {
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Request timeout when the step's `handlerConfig.timeoutMs` does not set one (ms). Default 30 000. */
  readonly timeoutMs?: number;
  /** Wall clock for `Retry-After` dates. Default `Date.now`. */
  readonly now?: () => number;
}

/** What the handler returns on success. */
export interface HttpStepResult {
  readonly status: number;
  readonly body: unknown;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const PERMANENT = new Set([400, 401, 403, 404, 422]);

/**
 * Makes the HTTP handler; register it in the handler map under any name.
 *
 * @example
 * ```ts
 * const handlers = { http: createHttpStepHandler({ timeoutMs: 5_000 }) };
 * // step: { name: 'charge', handler: 'http', handlerConfig: { url: 'https://pay.example/charge' } }
 * ```
 */
export function createHttpStepHandler(options: HttpStepHandlerOptions = {}): StepHandler {
  // Looked up per call, so that a fetch patched later (msw, an instrumentation) is used.
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  return async (ctx: StepContext): Promise<HttpStepResult> => {
    const config = ctx.handlerConfig as {
      url?: unknown;
      method?: unknown;
      headers?: Record<string, string>;
      timeoutMs?: unknown;
      body?: unknown;
    };
    if (typeof config.url !== 'string') {
      throw new PermanentError(
        `Step "${ctx.stepName}": handlerConfig.url: expected a URL string, received ${typeof config.url}`,
        {
          code: 'HTTP_CONFIG_INVALID',
        },
      );
    }
    const method = typeof config.method === 'string' ? config.method.toUpperCase() : 'POST';
    const timeoutMs = typeof config.timeoutMs === 'number' ? config.timeoutMs : (options.timeoutMs ?? 30_000);
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    const payload = config.body ?? ctx.inputs;
    let response: Response;
    try {
      response = await doFetch(config.url, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...config.headers },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: JSON.stringify(payload ?? null) }),
        signal,
      });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? error;
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new RetryableError(
        timedOut
          ? `${method} ${config.url} timed out after ${timeoutMs} ms`
          : `${method} ${config.url} failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const text = await response.text();
    const body =
      (response.headers.get('content-type') ?? '').includes('json') && text !== '' ? safeJson(text) : text;
    const status = response.status;
    if (status >= 200 && status < 300) return { status, body };
    const message = `${method} ${config.url} answered ${status}`;
    if (status === 429 || status === 503) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
      throw new RetryableError(message, retryAfter === undefined ? {} : { retryAfter });
    }
    if (status >= 500) throw new RetryableError(message);
    if (PERMANENT.has(status) || (status >= 400 && status < 500))
      throw new PermanentError(message, { code: `HTTP_${status}` });
    throw new TaskerError('PERMANENT', `${message}, which is not a success`);
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
