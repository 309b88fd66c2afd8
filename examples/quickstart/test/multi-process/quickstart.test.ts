/**
 * The quickstart end to end, spawned as a user runs it (`node --import tsx src/main.ts`, on the
 * built packages) and stopped by pid:
 *
 * - with `--once --verbose`, its traces go over OTLP/HTTP to a receiver on 127.0.0.1 in this
 *   test: the span tree of each task is checked, with its logs (pino JSON lines) and the metrics
 *   it read from its own `/tasker/metrics`;
 * - serving (no `--once`, no `--verbose`), it prints the summary and no span or log dump; this
 *   test reads `/tasker/metrics` itself, posts an order with the printed curl's body, and stops it
 *   with SIGINT;
 * - on a port that is taken, it prints one line naming `--port` and `PORT` and exits 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = fileURLToPath(new URL('../../../../packages/adapters/dist/otel.js', import.meta.url));

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** What it wrote to stderr (also passed through to this test's stderr). */
  readonly stderr: string[];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const running: Run[] = [];

function start(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    stderr.push(d.toString());
    process.stderr.write(d);
  });
  const run: Run = {
    child,
    lines,
    stderr,
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
  };
  running.push(run);
  return run;
}

async function waitForLine(run: Run, test: (line: string) => boolean): Promise<string> {
  for (let i = 0; i < 1_200; i++) {
    const line = run.lines.find(test);
    if (line !== undefined) return line;
    if (run.child.exitCode !== null)
      throw new Error(`the quickstart exited (${run.child.exitCode}): ${run.lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the quickstart did not print the awaited line');
}

/** An OTLP/HTTP JSON trace receiver. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: unknown;
  endTimeUnixNano: unknown;
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
  status?: { code?: number; message?: string };
}

async function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, spans };
}

const nanos = (v: unknown): bigint =>
  typeof v === 'object' && v !== null
    ? (BigInt((v as { high: number }).high >>> 0) << 32n) + BigInt((v as { low: number }).low >>> 0)
    : BigInt(String(v));

function attr(
  span: { attributes?: { key: string; value: Record<string, unknown> }[] },
  key: string,
): unknown {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (v === undefined) return undefined;
  const [value] = Object.values(v);
  return typeof value === 'string' && 'intValue' in v ? Number(value) : value;
}

/** How long a handler may run on after its attempt timed out, until it sees the abort. */
const ABORT_REACTION_NS = 1_000_000_000n;

function treeProblems(spans: OtlpSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const problems: string[] = [];
  const roots = spans.filter((s) => !s.parentSpanId);
  if (roots.length !== 1) problems.push(`${roots.length} roots`);
  for (const s of spans) {
    if (!s.parentSpanId) continue;
    const p = byId.get(s.parentSpanId);
    if (p === undefined) {
      problems.push(`${s.name}: parent ${s.parentSpanId} missing`);
      continue;
    }
    // An attempt that timed out ends when its timeout fires; the handler's own span ends when
    // the handler sees the abort, a moment later (longer on a busy machine). That is what
    // happened, so such a span may end after its step span, but not long after.
    const timedOut = p.status?.message?.startsWith('TimeoutError') === true;
    const latestEnd = nanos(p.endTimeUnixNano) + (timedOut ? ABORT_REACTION_NS : 0n);
    if (nanos(s.startTimeUnixNano) < nanos(p.startTimeUnixNano) || nanos(s.endTimeUnixNano) > latestEnd)
      problems.push(`${s.name} is not inside ${p.name}`);
  }
  return problems;
}

describe('the quickstart', () => {
  afterAll(() => {
    for (const r of running)
      if (r.child.exitCode === null && r.child.signalCode === null)
        process.kill(r.child.pid as number, 'SIGKILL');
  });

  it('has its packages built (the root test script builds them first)', () => {
    expect(existsSync(built), `${built} is missing: run the build first`).toBe(true);
  });

  it('with --once --verbose: runs both workflows, exports their span trees over OTLP, logs and reads its metrics, then exits 0', async () => {
    const receiver = await otlpReceiver();
    try {
      const run = start(['--once', '--verbose', '--port', '0'], {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      });
      const [code] = await run.exited;
      expect(code, run.lines.join('\n')).toBe(0);

      // What it printed for people: the URLs and a sample curl.
      const text = run.lines.filter((l) => !l.startsWith('{'));
      expect(text.some((l) => /traces → http:\/\/127\.0\.0\.1:\d+\/v1\/traces/.test(l))).toBe(true);
      expect(text.some((l) => /metrics: {2}http:\/\/127\.0\.0\.1:\d+\/tasker\/metrics/.test(l))).toBe(true);
      expect(text.some((l) => l.trim().startsWith('curl -s -X POST http://127.0.0.1:'))).toBe(true);
      expect(text.some((l) => /^shop\.order \S+: complete in \d/.test(l))).toBe(true);
      expect(text.some((l) => /^ {2}charge_payment +complete +3 attempts +\d+ ms$/.test(l))).toBe(true);
      expect(text.some((l) => /^reports\.nightly \S+: complete in \d/.test(l))).toBe(true);
      expect(text.some((l) => /^ {2}render_report +complete +2 attempts +\d+ ms$/.test(l))).toBe(true);

      // Logs: one JSON line per outcome, level by outcome, the task id as correlation id.
      const logs = run.lines
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const done = logs.filter((l) => l.event === 'task.completed');
      expect(done.map((l) => [l.level, l.taskName])).toEqual(
        expect.arrayContaining([
          [30, 'order'],
          [30, 'nightly'],
        ]),
      );
      const orderId = done.find((l) => l.taskName === 'order')?.correlationId as string;
      const reportId = done.find((l) => l.taskName === 'nightly')?.correlationId as string;
      const chargeFailures = logs.filter((l) => l.event === 'step.failed' && l.stepName === 'charge_payment');
      expect(chargeFailures.map((l) => [l.level, l.correlationId, l.msg])).toEqual([
        [
          50,
          orderId,
          expect.stringMatching(
            /^step charge_payment failed \(attempt 1\/4\) in \d+ ms: payment gateway timed out/,
          ),
        ],
        [50, orderId, expect.stringMatching(/^step charge_payment failed \(attempt 2\/4\)/)],
      ]);
      expect(logs.filter((l) => l.event === 'step.retry_requested').map((l) => l.level)).toEqual([
        40, 40, 40,
      ]);
      expect(logs.find((l) => l.event === 'shop.payment_authorized')).toMatchObject({
        correlationId: orderId,
      });

      // Metrics, as its own GET /tasker/metrics returned them.
      const metric = (name: string, labels: string) =>
        text
          .find((l) => l.trim().startsWith(`${name}{${labels}}`))
          ?.trim()
          .split(' ')
          .pop();
      expect(
        metric('tasker_tasks_total', 'namespace="shop",name="order",version="1.0.0",outcome="completed"'),
      ).toBe('1');
      expect(
        metric(
          'tasker_steps_total',
          'namespace="shop",name="order",version="1.0.0",step="charge_payment",outcome="failed"',
        ),
      ).toBe('2');
      expect(
        metric(
          'tasker_step_retries_total',
          'namespace="reports",name="nightly",version="1.0.0",step="render_report"',
        ),
      ).toBe('1');

      // Traces: one tree per task, exported over OTLP.
      const byTrace = new Map<string, OtlpSpan[]>();
      for (const s of receiver.spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
      const rootOf = (taskId: string) =>
        receiver.spans.find(
          (s) => s.name === 'tasker.task.execution' && attr(s, 'tasker.task_id') === taskId,
        ) as OtlpSpan;
      for (const [taskId, attempts] of [
        [orderId, 7],
        [reportId, 4],
      ] as const) {
        const rootSpan = rootOf(taskId);
        expect(rootSpan, `the root span of ${taskId}`).toBeDefined();
        const tree = byTrace.get(rootSpan.traceId) ?? [];
        expect(treeProblems(tree)).toEqual([]);
        const steps = tree.filter((s) => s.parentSpanId === rootSpan.spanId);
        expect(steps.length).toBe(attempts);
        for (const step of steps) {
          expect(step.name).toBe('tasker.step.execution');
          expect(tree.filter((s) => s.parentSpanId === step.spanId)).toHaveLength(1);
        }
      }
      const orderTree = byTrace.get(rootOf(orderId).traceId) ?? [];
      const charge = orderTree.filter((s) => attr(s, 'tasker.step_name') === 'charge_payment');
      expect(charge.map((s) => [attr(s, 'tasker.attempt'), s.status?.code ?? 0]).sort()).toEqual([
        [1, 2],
        [2, 2],
        [3, 0],
      ]);
      for (const failed of charge.filter((s) => s.status?.code === 2))
        expect(failed.events?.map((e) => e.name)).toEqual(['exception', 'tasker.step.backoff']);
      const reportTree = byTrace.get(rootOf(reportId).traceId) ?? [];
      const timedOut = reportTree.find(
        (s) => attr(s, 'tasker.step_name') === 'render_report' && attr(s, 'tasker.attempt') === 1,
      );
      expect(timedOut?.status?.message).toMatch(/^TimeoutError: step "render_report" timed out after 300 ms/);
    } finally {
      receiver.server.close();
    }
  }, 180_000);

  it('serving: prints a summary and no dump, answers /tasker/metrics and the printed curl, and stops on SIGINT', async () => {
    const run = start(['--port', '0'], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    });
    const first = await waitForLine(run, (l) => l.startsWith('Tasker quickstart: API on '));
    const base = (first.match(/API on (\S+)/) as RegExpMatchArray)[1] as string;
    await waitForLine(run, (l) => l === 'Serving until Ctrl-C.');
    expect(first).toContain('traces → off');
    // It says that the API is open, and how to close it.
    expect(run.lines).toContain(
      'No authentication: anyone who can reach this address can submit, change and cancel tasks.',
    );
    expect(run.lines.some((l) => l.includes('createJwtAuthenticator({ secret })'))).toBe(true);
    // The summary: each task with its state and duration, each step with its attempts.
    const orderAt = run.lines.findIndex((l) => /^shop\.order \S+: complete in \d/.test(l));
    expect(orderAt).toBeGreaterThan(0);
    expect(run.lines.slice(orderAt + 1, orderAt + 6).map((l) => l.trim().split(/ +/).slice(0, 3))).toEqual([
      ['validate_order', 'complete', '1'],
      ['reserve_stock', 'complete', '1'],
      ['charge_payment', 'complete', '3'],
      ['ship_order', 'complete', '1'],
      ['notify_customer', 'complete', '1'],
    ]);
    // The order's critical path (#15): charge_payment's retries and backoff gate the task.
    const orderUrl = (run.lines.find((l) => l.trim().startsWith('an order:')) as string)
      .trim()
      .split(/ +/)[2];
    const shown = (await (await fetch(orderUrl as string)).json()) as {
      dependency_analysis: {
        critical_path: {
          steps: string[];
          complete: boolean;
          spans: { step: string; attempts: number; duration_ms: number }[];
        };
      };
    };
    const path = shown.dependency_analysis.critical_path;
    expect(path.steps).toEqual(['validate_order', 'charge_payment', 'ship_order', 'notify_customer']);
    expect(path.complete).toBe(true);
    const charge = path.spans.find((s) => s.step === 'charge_payment');
    expect(charge?.attempts).toBe(3);
    expect(charge?.duration_ms).toBeGreaterThanOrEqual(600); // its two backoffs, 200 + 400 ms
    expect(run.lines.some((l) => l.trim().startsWith('events:   curl -sN http://127.0.0.1:'))).toBe(true);
    // The dashboard (#15) is served where the quickstart says.
    const dashboardUrl = (run.lines.find((l) => l.trim().startsWith('dashboard:')) as string)
      .trim()
      .split(/ +/)[1];
    expect(dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/tasker\/ui$/);
    const page = await fetch(dashboardUrl as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app"></div>');

    // No span dump (console exporter) and no JSON log lines without --verbose.
    expect(run.lines.filter((l) => l.startsWith('{') || l.includes('tasker.task.execution'))).toEqual([]);
    expect(run.lines).toContain('  Every span and log line: run with --verbose.');

    const scrape = await (await fetch(`${base}/metrics`)).text();
    expect(scrape).toContain(
      'tasker_tasks_total{namespace="shop",name="order",version="1.0.0",outcome="completed"} 1',
    );
    expect(scrape).toContain(
      'tasker_tasks_total{namespace="reports",name="nightly",version="1.0.0",outcome="completed"} 1',
    );
    expect(scrape).toContain(
      'tasker_step_retries_total{namespace="shop",name="order",version="1.0.0",step="charge_payment"} 2',
    );
    expect(scrape).toContain(
      'tasker_steps_in_progress{namespace="shop",name="order",version="1.0.0",step="charge_payment"} 0',
    );
    // OpenMetrics carries the trace ids as exemplars on the duration histograms.
    const om = await (
      await fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text' } })
    ).text();
    expect(om).toMatch(
      /tasker_task_duration_seconds_bucket\{[^}]*namespace="shop"[^}]*\} 1 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\}/,
    );

    // The printed curl's request: another order through the REST API.
    const curl = run.lines.find((l) => l.trim().startsWith('curl -s -X POST')) as string;
    const body = (curl.match(/-d '(.*)'$/) as RegExpMatchArray)[1] as string;
    const posted = await fetch(`${base}/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(posted.status).toBe(201);
    const id = ((await posted.json()) as { task_id: string }).task_id;
    for (let i = 0; i < 600; i++) {
      const t = (await (await fetch(`${base}/tasks/${id}`)).json()) as { status: string };
      if (t.status === 'complete') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await (await fetch(`${base}/metrics`)).text();
    expect(after).toContain(
      'tasker_tasks_total{namespace="shop",name="order",version="1.0.0",outcome="completed"} 2',
    );

    process.kill(run.child.pid as number, 'SIGINT');
    const [code] = await run.exited;
    expect(code).toBe(0);
  }, 180_000);

  it('on a taken port: one line naming --port and PORT, no stack trace, exit code 1', async () => {
    const taken = createTcpServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = start(['--port', String(port)]);
      const [code] = await run.exited;
      expect(code).toBe(1);
      expect(run.lines.filter((l) => l !== '')).toEqual([]);
      expect(run.stderr.join('')).toBe(
        `quickstart: port ${port} is already in use: choose another with --port <n> or PORT=<n> (0 picks a free one)\n`,
      );
    } finally {
      taken.close();
    }
  }, 60_000);
});
