import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanentError, isRetryableError } from '../errors';
import { createHttpStepHandler, parseRetryAfter } from './http-step-handler';
import type { StepContext } from './step-handler';

const NOW = Date.parse('2030-01-01T00:00:00Z');
let lastBody: unknown;
const server = setupServer(
  http.post('https://api.test/ok', async ({ request }) => {
    lastBody = await request.json();
    return HttpResponse.json({ charged: true });
  }),
  http.post('https://api.test/status/:code', ({ params, request }) => {
    const code = Number(params.code);
    const retryAfter = new URL(request.url).searchParams.get('ra');
    return new HttpResponse('nope', {
      status: code,
      headers: retryAfter === null ? {} : { 'retry-after': retryAfter },
    });
  }),
  http.post('https://api.test/slow', async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    return HttpResponse.json({});
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

function ctx(handlerConfig: Record<string, unknown>, signal = new AbortController().signal): StepContext {
  return {
    taskId: 't',
    stepId: 's',
    stepName: 'charge',
    namespace: 'shop',
    taskName: 'checkout',
    version: '1.0.0',
    context: {},
    inputs: { orderId: 'o-1' },
    results: {},
    attempt: 1,
    signal,
    handlerConfig,
    traceContext: undefined,
    emit: () => {},
  };
}

const handler = createHttpStepHandler({ now: () => NOW, timeoutMs: 200 });
async function failure(url: string) {
  try {
    await handler(ctx({ url }));
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('HTTP step handler', () => {
  it('posts the inputs as JSON and returns the JSON body on 2xx', async () => {
    expect(await handler(ctx({ url: 'https://api.test/ok' }))).toEqual({
      status: 200,
      body: { charged: true },
    });
    expect(lastBody).toEqual({ orderId: 'o-1' });
  });

  it('retries 429 and 503, honouring Retry-After in seconds or as a date', async () => {
    const a = await failure('https://api.test/status/429?ra=12');
    expect(isRetryableError(a) && a.retryAfter).toBe(12_000);
    const b = await failure(
      `https://api.test/status/503?ra=${encodeURIComponent(new Date(NOW + 30_000).toUTCString())}`,
    );
    expect(isRetryableError(b) && b.retryAfter).toBe(30_000);
    const c = await failure('https://api.test/status/503');
    expect(isRetryableError(c) && c.retryAfter).toBeUndefined();
  });

  it('fails permanently on 400, 401, 403, 404 and 422', async () => {
    for (const code of [400, 401, 403, 404, 422]) {
      const e = await failure(`https://api.test/status/${code}`);
      expect(isPermanentError(e)).toBe(true);
      expect(isPermanentError(e) && e.errorCode).toBe(`HTTP_${code}`);
    }
  });

  it('retries any other 5xx', async () => {
    for (const code of [500, 502, 504])
      expect(isRetryableError(await failure(`https://api.test/status/${code}`))).toBe(true);
  });

  it('times out a slow request as retryable', async () => {
    const e = await failure('https://api.test/slow');
    expect(isRetryableError(e)).toBe(true);
    expect((e as Error).message).toContain('timed out after 200 ms');
  });

  it('rejects a step without a url permanently', async () => {
    await expect(handler(ctx({}))).rejects.toMatchObject({ errorCode: 'HTTP_CONFIG_INVALID' });
  });

  it('parses Retry-After', () => {
    expect(parseRetryAfter('5', NOW)).toBe(5_000);
    expect(parseRetryAfter('garbage', NOW)).toBeUndefined();
    expect(parseRetryAfter(new Date(NOW - 1_000).toUTCString(), NOW)).toBe(0);
  });
});
