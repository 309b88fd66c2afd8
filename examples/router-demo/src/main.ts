/**
 * The router in five minutes: a simulated checkout workflow publishes its lifecycle events,
 * and the router sends them to three backend plugins by the default routing table.
 *
 * Run it from the repository root: `npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 start`
 */
import {
  createEventRouter,
  type RoutedEvent,
  type RouterBackend,
  type StepEventPayload,
  StepEvents,
  TaskEvents,
} from '@tasker/router';

// A "logs" backend: one JSON line per event.
const logs: RouterBackend = {
  name: 'logs',
  handle(event) {
    const p = event.payload as Partial<StepEventPayload>;
    console.log(
      JSON.stringify({
        at: new Date(event.timestamp).toISOString(),
        event: event.name,
        task: p.taskId,
        step: p.stepName,
      }),
    );
  },
};

// A "metrics" backend: counts events, scaled by the sampling rate they survived.
const counts = new Map<string, number>();
const metrics: RouterBackend = {
  name: 'metrics',
  handle(event) {
    counts.set(event.name, (counts.get(event.name) ?? 0) + 1 / event.samplingRate);
  },
};

// A "trace" backend that works asynchronously, as an exporter would. The router tracks its
// promises, sheds normal-priority events if too many pile up, and reports rejections.
const spans: string[] = [];
const trace: RouterBackend = {
  name: 'trace',
  async handle(event: RoutedEvent) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    spans.push(event.name);
  },
};

const router = createEventRouter({ backends: { logs, metrics, trace } });

// Custom events are registered before use, then mapped like any other event.
router.registerEvent({
  name: 'checkout.receipt_sent',
  description: 'A receipt e-mail left the mail service',
});
router.map('checkout.*', { backends: ['logs', 'metrics'] });

const task = { taskId: 'task-42', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };
const started = Date.parse('2026-11-27T12:00:00Z');
let clock = started;
/** Advances the simulated clock by `ms` and returns the new time. */
const tick = (ms: number) => {
  clock += ms;
  return clock;
};
const step = (stepName: string, attempt = 1) => ({
  ...task,
  stepId: `${task.taskId}:${stepName}`,
  stepName,
  attempt,
  retryLimit: 3,
});

router.route(TaskEvents.START_REQUESTED, task, clock);
for (const name of ['reserve_stock', 'charge_card']) {
  router.route(StepEvents.EXECUTION_REQUESTED, step(name), tick(3));
  router.route(StepEvents.COMPLETED, { ...step(name), durationMs: 3 }, tick(3));
}
router.route(
  StepEvents.FAILED,
  { ...step('send_receipt'), error: { name: 'SmtpError', message: 'mail server busy', code: 'smtp_421' } },
  tick(5),
);
router.route(
  StepEvents.RETRY_REQUESTED,
  { ...step('send_receipt'), backoffMs: 1000, nextAttemptAt: clock + 1000 },
  clock,
);
router.route(StepEvents.COMPLETED, { ...step('send_receipt', 2), durationMs: 4 }, tick(1004));
router.route('checkout.receipt_sent', { orderId: 'order-7' }, clock);
router.route(TaskEvents.COMPLETED, { ...task, durationMs: clock - started }, clock);

// Queries are sampled at 10 % by the default table; the metrics backend scales them back up.
for (let i = 0; i < 1000; i++)
  router.route('database.query_executed', { operation: 'claim_steps', durationMs: 1 });

await router.drain();

console.log(
  '\nmetrics (scaled by sampling):',
  Object.fromEntries([...counts].map(([k, v]) => [k, Math.round(v)])),
);
console.log('trace spans recorded:', spans.length);
const stats = router.stats();
console.log('router stats:', {
  routed: stats.routed,
  sampledOut: stats.sampledOut,
  unrouted: stats.unrouted,
  errors: stats.errors,
  dropped: stats.dropped,
});
