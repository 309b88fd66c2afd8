import { createRegistry, type Registry } from '@tasker/metrics-native';
import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isExporterError } from './errors';
import { createPushgateway, type PushgatewayOptions } from './pushgateway';

// A Pushgateway we do not run: its answers are scripted with msw. The real one is exercised in
// test/pushgateway.test.ts.
const GATEWAY = 'http://pushgateway.test:9091';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function registry(): Registry {
  const r = createRegistry();
  r.counter({ name: 'rows_imported_total', help: 'Rows imported' }).inc(42);
  return r;
}

function gateway(options: Partial<PushgatewayOptions> = {}) {
  return createPushgateway({
    url: GATEWAY,
    job: 'nightly_import',
    registry: registry(),
    backoffMs: 1,
    ...options,
  });
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (!isExporterError(error)) throw error;
    return { code: error.code, message: error.message, status: error.status };
  }
  throw new Error('expected the push to fail');
}

describe('Pushgateway client', () => {
  it('PUTs the text format to the group URL, POSTs for pushAdd and DELETEs the group', async () => {
    const seen: { method: string; url: string; type: string | null; body: string }[] = [];
    server.use(
      http.all(`${GATEWAY}/metrics/*`, async ({ request }) => {
        seen.push({
          method: request.method,
          url: request.url,
          type: request.headers.get('content-type'),
          body: await request.text(),
        });
        return new HttpResponse(null, { status: request.method === 'DELETE' ? 202 : 200 });
      }),
    );
    const g = gateway({ groupingLabels: { instance: 'batch-7' } });
    await g.push();
    await g.pushAdd();
    await g.delete();
    expect(seen.map((s) => s.method)).toEqual(['PUT', 'POST', 'DELETE']);
    expect(seen[0]?.url).toBe(`${GATEWAY}/metrics/job/nightly_import/instance/batch-7`);
    expect(seen[0]?.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(seen[0]?.body).toBe(
      '# HELP rows_imported_total Rows imported\n# TYPE rows_imported_total counter\nrows_imported_total 42\n',
    );
    expect(seen[2]?.body).toBe('');
  });

  it('encodes grouping values with a slash, or empty ones, as @base64', () => {
    const g = gateway({ job: 'a/b', groupingLabels: { path: '/var/tmp', empty: '' } });
    expect(g.groupUrl).toBe(`${GATEWAY}/metrics/job@base64/YS9i/path@base64/L3Zhci90bXA/empty@base64/=`);
  });

  it('keeps the path of a gateway behind a prefix', () => {
    expect(gateway({ url: `${GATEWAY}/monitoring/pushgateway/` }).groupUrl).toBe(
      `${GATEWAY}/monitoring/pushgateway/metrics/job/nightly_import`,
    );
  });

  it('retries 5xx answers with backoff, then succeeds', async () => {
    let calls = 0;
    server.use(
      http.put(`${GATEWAY}/metrics/*`, () => {
        calls++;
        return calls < 3
          ? new HttpResponse('overloaded', { status: 503 })
          : new HttpResponse(null, { status: 200 });
      }),
    );
    await gateway({ retries: 3 }).push();
    expect(calls).toBe(3);
  });

  it('gives up after its retries on 5xx, naming the status', async () => {
    let calls = 0;
    server.use(
      http.put(`${GATEWAY}/metrics/*`, () => {
        calls++;
        return new HttpResponse('storage broken', { status: 500 });
      }),
    );
    const error = await failure(gateway({ retries: 2 }).push());
    expect(calls).toBe(3);
    expect(error).toEqual({
      code: 'PUSHGATEWAY_UNAVAILABLE',
      status: 500,
      message: `PUT ${GATEWAY}/metrics/job/nightly_import answered 500: storage broken (after 3 attempts)`,
    });
  });

  it('fails at once on a 4xx, with the gateway explanation', async () => {
    let calls = 0;
    server.use(
      http.put(`${GATEWAY}/metrics/*`, () => {
        calls++;
        return new HttpResponse('pushed metrics are invalid or inconsistent with existing metrics', {
          status: 400,
        });
      }),
    );
    const error = await failure(gateway().push());
    expect(calls).toBe(1);
    expect(error.code).toBe('PUSHGATEWAY_REJECTED');
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      `The Pushgateway rejected the push: PUT ${GATEWAY}/metrics/job/nightly_import answered 400: pushed metrics are invalid or inconsistent with existing metrics`,
    );
  });

  it('times out each attempt and reports the timeout', async () => {
    let calls = 0;
    server.use(
      http.put(`${GATEWAY}/metrics/*`, async () => {
        calls++;
        await delay(2_000);
        return new HttpResponse(null, { status: 200 });
      }),
    );
    const error = await failure(gateway({ timeoutMs: 50, retries: 1 }).push());
    expect(calls).toBe(2);
    expect(error.code).toBe('PUSHGATEWAY_TIMEOUT');
    expect(error.message).toBe(
      `PUT ${GATEWAY}/metrics/job/nightly_import timed out after 50 ms (after 2 attempts)`,
    );
  });

  it('rejects bad options with the field named', () => {
    expect(() => createPushgateway({ url: 'not a url', job: '', registry: registry() })).toThrow(
      'Invalid Pushgateway options: url: expected an absolute http(s) URL; job: expected a non-empty job name',
    );
    expect(() => gateway({ groupingLabels: { job: 'x' } })).toThrow(
      'groupingLabels.job: expected a label other than "job"',
    );
  });
});
