/**
 * Tasker in one process: an embedded PostgreSQL (PGlite, in memory), two workflows, the REST
 * API with `/tasker/metrics`, traces, metrics and logs. It runs one order and one report, prints
 * a summary of each and where to look, then serves until Ctrl-C (or exits after the demo with
 * `--once`).
 *
 * From the repository root: `npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 start`
 * Options: `--once`, `--verbose` (every span and log line too), `--port <n>` (or `PORT`; default
 * 3000, 0 picks a free one).
 */
import { createTaskerDashboard } from '@tasker/dashboard';
import { createTasker } from '@tasker/orchestrator';
import { createTaskerApi } from '@tasker/orchestrator/api';
import { parseOptions, portProblem, UsageError } from './options';
import { taskSummary } from './summary';
import { createTelemetry } from './telemetry';
import { handlers, order, report } from './workflows';

const say = (text: string) => process.stdout.write(`${text}\n`);

/** A wrong option or a taken port: one line on stderr, exit code 2 or 1, no stack trace. */
function fail(error: UsageError, code: number): never {
  process.stderr.write(`quickstart: ${error.message}\n`);
  process.exit(code);
}

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  if (error instanceof UsageError) fail(error, 2);
  throw error;
}

const telemetry = createTelemetry({ verbose: options.verbose });
const tasker = createTasker({
  tasks: [order, report],
  handlers,
  router: telemetry.router,
  middleware: [telemetry.tracing.middleware],
  traceContext: telemetry.tracing.traceContext,
  config: { engine: { pollIntervalMs: 200 } },
});
// No `auth` option: the API answers anyone who reaches it (see the notice printed below).
const api = createTaskerApi({ tasker, metricsHandler: telemetry.metricsHandler });
// The dashboard is mounted under the API, before it serves its first request.
// With the router, the page's live feed gets this process's events at once (see its README).
const dashboard = createTaskerDashboard({ api, router: telemetry.router, registry: telemetry.registry });
// Listen before the store opens, so that a taken port is reported at once.
const server = await api.listen({ port: options.port }).catch((error: unknown) => {
  const problem = portProblem(options.port, error);
  if (problem !== undefined) fail(problem, 1);
  throw error;
});
await tasker.start();
const base = `${server.url}/tasker`;

say(`Tasker quickstart: API on ${base} (embedded PGlite store, in memory; traces → ${telemetry.traces})`);
// Say so plainly: it listens on 127.0.0.1 only, yet any local user or process may use it.
say('No authentication: anyone who can reach this address can submit, change and cancel tasks.');
say(
  '  To require a JWT: createTaskerApi({ tasker, auth: { authenticate: createJwtAuthenticator({ secret }) } })',
);
say('  or `tasker serve` with auth.strategy "jwt" and TASKER_JWT_SECRET. Tokens then need an exp and the');
say(
  '  routes\' permissions in a "permissions" claim (or the admin role); see packages/orchestrator/README.md, "REST API".',
);

// The order comes in through the REST API, as a shop's backend would send it.
const created = await fetch(`${base}/tasks`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    namespace: 'shop',
    name: 'order',
    version: '1.0.0',
    context: { orderId: 'o-1042', items: 3, amountCents: 4200 },
  }),
});
if (created.status !== 201)
  throw new Error(`POST /tasks answered ${created.status}: ${await created.text()}`);
const orderId = ((await created.json()) as { task_id: string }).task_id;
// The report is submitted in process.
const { taskId: reportId } = await tasker.submit({
  namespace: 'reports',
  name: 'nightly',
  version: '1.0.0',
  context: {},
});

for (const id of [orderId, reportId]) {
  say('');
  for (const line of taskSummary(await tasker.waitFor(id, { timeoutMs: 60_000 }))) say(line);
}

say('');
say('Where to look:');
say(`  dashboard: ${server.url}${dashboard.path}  (handlers, tasks live, trends; open it in a browser)`);
say(`  tasks:    ${base}/tasks`);
say(
  `  an order: ${base}/tasks/${orderId}?include_dependencies=true  (its critical path: charge_payment's retries)`,
);
say(`  events:   curl -sN ${base}/events/stream  (live, from every process; resumes with Last-Event-ID)`);
say(`  metrics:  ${base}/metrics`);
say(`  API docs: ${base}/docs`);
say('  Try another order:');
say(
  `    curl -s -X POST ${base}/tasks -H 'content-type: application/json' -d '{"namespace":"shop","name":"order","version":"1.0.0","context":{"orderId":"o-1043","items":1,"amountCents":999}}'`,
);
say(`    curl -s ${base}/metrics | grep '^tasker_'`);
if (!options.verbose) say('  Every span and log line: run with --verbose.');

async function shutdown(code: number): Promise<never> {
  await tasker.stop();
  dashboard.stop();
  await server.close();
  await telemetry.shutdown();
  process.exit(code);
}

if (options.once) {
  // What a scrape of /tasker/metrics shows now: the tasker_ samples.
  const scrape = await (await fetch(`${base}/metrics`)).text();
  say('');
  say(`GET ${base}/metrics (tasker_ samples):`);
  for (const line of scrape.split('\n'))
    if (/^tasker_(tasks|steps|step_retries)_total/.test(line)) say(`  ${line}`);
  await shutdown(0);
} else {
  say('');
  say('Serving until Ctrl-C.');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(0));
}
