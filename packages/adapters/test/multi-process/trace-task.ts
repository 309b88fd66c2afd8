import { trace } from '@opentelemetry/api';
import { defineTask, RetryableError, type StepContext } from '@tasker/orchestrator';

/**
 * An order-like diamond for the cross-process trace test: `validate → (reserve ∥ charge) → ship`.
 * `charge` fails on its first attempt (a retry with a short backoff), and every handler makes a
 * span of its own, which must nest under its attempt's step span.
 */
export const traceTask = defineTask({
  namespace: 'xp',
  name: 'order',
  version: '1.0.0',
  backoff: { delaysMs: [50], jitter: 0 },
  steps: [
    { name: 'validate', handler: 'work' },
    { name: 'reserve', handler: 'work', dependsOn: ['validate'] },
    { name: 'charge', handler: 'charge', dependsOn: ['validate'] },
    { name: 'ship', handler: 'work', dependsOn: ['reserve', 'charge'] },
  ],
});

async function ownWork(ctx: StepContext): Promise<void> {
  await trace.getTracer('xp-handlers').startActiveSpan(`${ctx.stepName}.work`, async (span) => {
    await new Promise((resolve) => setTimeout(resolve, 15));
    span.end();
  });
}

export const traceHandlers = {
  work: async (ctx: StepContext) => {
    await ownWork(ctx);
    return process.pid;
  },
  charge: async (ctx: StepContext) => {
    await ownWork(ctx);
    if (ctx.attempt === 1) throw new RetryableError('the gateway timed out');
    return process.pid;
  },
};
