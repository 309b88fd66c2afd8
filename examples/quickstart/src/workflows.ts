/**
 * The quickstart's two workflows.
 *
 * - `shop.order`: validate → (reserve stock ∥ charge payment) → ship → notify, a diamond. The
 *   payment gateway times out twice, then accepts: `charge_payment` fails twice (retried after
 *   a short backoff) and succeeds on its third attempt.
 * - `reports.nightly`: fetch → render → publish, where `render` has a 300 ms timeout: its first
 *   attempt hangs and is aborted, the second renders in time.
 *
 * Handlers make spans of their own (a gateway call, a query): they nest under their attempt's
 * step span, because the tracing middleware runs each handler inside it.
 */
import { trace } from '@opentelemetry/api';
import { defineTask, RetryableError, type StepContext } from '@tasker/orchestrator';
import { z } from 'zod';

const tracer = trace.getTracer('quickstart-handlers');

/** Runs `body` as a span of its own, as an instrumented client library would. */
function traced<T>(name: string, body: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await body();
    } finally {
      span.end();
    }
  });
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export const order = defineTask({
  namespace: 'shop',
  name: 'order',
  version: '1.0.0',
  description: 'Take an order: validate, reserve stock and charge in parallel, ship, notify',
  contextSchema: z.object({
    orderId: z.string(),
    items: z.number().int().positive(),
    amountCents: z.number().int(),
  }),
  backoff: { delaysMs: [200, 400], jitter: 0 },
  steps: [
    { name: 'validate_order', handler: 'validateOrder' },
    { name: 'reserve_stock', handler: 'reserveStock', dependsOn: ['validate_order'] },
    {
      name: 'charge_payment',
      handler: 'chargePayment',
      dependsOn: ['validate_order'],
      customEvents: [
        { name: 'shop.payment_authorized', description: 'The payment gateway accepted the charge' },
      ],
    },
    { name: 'ship_order', handler: 'shipOrder', dependsOn: ['reserve_stock', 'charge_payment'] },
    { name: 'notify_customer', handler: 'notifyCustomer', dependsOn: ['ship_order'] },
  ],
});

export const report = defineTask({
  namespace: 'reports',
  name: 'nightly',
  version: '1.0.0',
  description: 'Build the nightly sales report',
  backoff: { delaysMs: [200], jitter: 0 },
  steps: [
    { name: 'fetch_sales', handler: 'fetchSales' },
    { name: 'render_report', handler: 'renderReport', dependsOn: ['fetch_sales'], timeoutMs: 300 },
    { name: 'publish_report', handler: 'publishReport', dependsOn: ['render_report'] },
  ],
});

interface OrderContext {
  readonly orderId: string;
  readonly items: number;
  readonly amountCents: number;
}

export const handlers = {
  validateOrder: async (ctx: StepContext) => {
    const { orderId, items } = ctx.context as OrderContext;
    await traced('orders.lookup', () => pause(20));
    return { orderId, valid: items > 0 };
  },
  reserveStock: async (ctx: StepContext) => {
    const { items } = ctx.context as OrderContext;
    await traced('inventory.reserve', () => pause(40));
    return { reserved: items };
  },
  chargePayment: async (ctx: StepContext) => {
    const { amountCents } = ctx.context as OrderContext;
    await traced('payment-gateway POST /charges', () => pause(30));
    if (ctx.attempt <= 2) throw new RetryableError(`payment gateway timed out (attempt ${ctx.attempt})`);
    ctx.emit('shop.payment_authorized', { amountCents, cardToken: 'tok_visa_4242' });
    return { charged: amountCents, authorization: `auth-${ctx.taskId.slice(0, 8)}` };
  },
  shipOrder: async () => {
    await traced('carrier.create_label', () => pause(25));
    return { tracking: 'TRK-1042' };
  },
  notifyCustomer: async () => {
    await traced('mail.send', () => pause(10));
    return { sent: true };
  },
  fetchSales: async () => {
    await traced('warehouse.query', () => pause(30));
    return { rows: 1250 };
  },
  renderReport: async (ctx: StepContext) => {
    // The first attempt hangs until the 300 ms timeout aborts it; the retry renders in time.
    await traced('report.render', () => pause(ctx.attempt === 1 ? 10_000 : 50, ctx.signal));
    return { pages: 12 };
  },
  publishReport: async () => {
    await traced('storage.put', () => pause(15));
    return { url: 'https://reports.example/nightly.pdf' };
  },
};
