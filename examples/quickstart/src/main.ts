/**
 * Tasker in one process: an embedded PostgreSQL (PGlite, in memory), two workflows, the REST
 * API with `/tasker/metrics`, traces, metrics and logs. It runs one order and one report, says
 * where to look, then serves until Ctrl-C (or exits after the demo with `--once`).
 *
 * From the repository root: `npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 start`
 * Options: `--once`, `--port <n>` (default 3000; 0 picks a free one).
 */
import { createTasker, type TaskDetails } from '@tasker/orchestrator';
import { createTaskerApi } from '@tasker/orchestrator/api';
import { createTelemetry } from './telemetry';
import { handlers, order, report } from './workflows';

const args = process.argv.slice(2);
const once = args.includes('--once');
const portArg = args.indexOf('--port');
const port = Number(portArg >= 0 ? args[portArg + 1] : (process.env.PORT ?? 3000));

const say = (text: string) => process.stdout.write(`${text}\n`);

const telemetry = createTelemetry();
const tasker = createTasker({
  tasks: [order, report],
  handlers,
  router: telemetry.router,
  middleware: [telemetry.tracing.middleware],
  traceContext: telemetry.tracing.traceContext,
  config: { engine: { pollIntervalMs: 200 } },
});
await tasker.start();
const api = createTaskerApi({ tasker, metricsHandler: telemetry.metricsHandler });
const server = await api.listen({ port });
const base = `${server.url}/tasker`;

say(`Tasker quickstart: API on ${base} (embedded PGlite store; traces → ${telemetry.traces})`);

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

function summary(task: TaskDetails): string {
  const steps = task.steps.map((s) => `${s.name}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
  return `${task.namespace}.${task.name} ${task.id}: ${task.state} — ${steps.join(', ')}`;
}
for (const id of [orderId, reportId]) say(summary(await tasker.waitFor(id, { timeoutMs: 60_000 })));

say('');
say('Where to look:');
say(`  tasks:    ${base}/tasks`);
say(`  an order: ${base}/tasks/${orderId}?include_dependencies=true`);
say(`  metrics:  ${base}/metrics`);
say(`  API docs: ${base}/docs`);
say('  Try another order:');
say(
  `    curl -s -X POST ${base}/tasks -H 'content-type: application/json' -d '{"namespace":"shop","name":"order","version":"1.0.0","context":{"orderId":"o-1043","items":1,"amountCents":999}}'`,
);
say(`    curl -s ${base}/metrics | grep '^tasker_'`);

async function shutdown(code: number): Promise<never> {
  await tasker.stop();
  await server.close();
  await telemetry.shutdown();
  process.exit(code);
}

if (once) {
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
