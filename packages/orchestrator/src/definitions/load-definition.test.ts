import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTaskerError } from '../errors';
import { loadTaskDefinition, parseTaskDefinition } from './load-definition';

const reserve = async () => 'reserved';
const charge = async () => 'charged';
const handlers = { 'Shop::ReserveHandler': reserve, 'Shop::ChargeHandler': charge };

const yaml = `
name: checkout
namespace_name: shop
version: 1.2.0
task_handler_class: CheckoutTask
schema:
  type: object
  required: [order_id]
  properties:
    order_id: { type: string }
step_templates:
  - name: reserve
    handler_class: Shop::ReserveHandler
    default_retryable: true
    default_retry_limit: 2
  - name: notify
    handler_class: Shop::ReserveHandler
    skippable: true
  - name: charge
    depends_on_steps: [reserve]
    depends_on_step: notify
    handler_class: Shop::ChargeHandler
    handler_config: { url: "https://pay.example/charge" }
    custom_events:
      - name: shop.payment_taken
        description: A card was charged
`;

describe('YAML/JSON definitions in the original layout', () => {
  it('maps the original keys and resolves handlers through the map', () => {
    const def = parseTaskDefinition(yaml, { handlers });
    expect(def.key).toBe('shop.checkout@1.2.0');
    const charged = def.steps.find((s) => s.name === 'charge')!;
    expect(charged.dependsOn).toEqual(['notify', 'reserve']);
    expect(charged.handler).toBe(charge);
    expect(charged.handlerConfig).toEqual({ url: 'https://pay.example/charge' });
    expect(charged.customEvents).toEqual([
      { name: 'shop.payment_taken', description: 'A card was charged', firedBy: [] },
    ]);
    expect(def.steps.find((s) => s.name === 'reserve')?.retryLimit).toBe(2);
    expect(def.steps.find((s) => s.name === 'notify')?.skippable).toBe(true);
    expect(def.validateContext({})).toEqual({ ok: false, message: 'context.order_id: is required' });
  });

  it('fails at load time on an unknown handler name', () => {
    try {
      parseTaskDefinition(yaml, { handlers: { 'Shop::ReserveHandler': reserve } });
      expect.unreachable();
    } catch (error) {
      expect(isTaskerError(error) && error.code).toBe('HANDLER_NOT_FOUND');
      expect((error as Error).message).toContain('step "charge" names handler_class "Shop::ChargeHandler"');
    }
  });

  it('loads JSON files and reports the file on errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tasker-def-'));
    const good = join(dir, 'ok.json');
    await writeFile(
      good,
      JSON.stringify({
        name: 'refund',
        namespace_name: 'shop',
        version: '0.2.0',
        step_templates: [{ name: 'a', handler_class: 'Shop::ReserveHandler' }],
      }),
    );
    expect((await loadTaskDefinition(good, { handlers })).key).toBe('shop.refund@0.2.0');

    const cyclic = join(dir, 'cycle.yaml');
    await writeFile(
      cyclic,
      'name: c\nstep_templates:\n  - { name: a, handler_class: Shop::ReserveHandler, depends_on_step: b }\n  - { name: b, handler_class: Shop::ReserveHandler, depends_on_step: a }\n',
    );
    await expect(loadTaskDefinition(cyclic, { handlers })).rejects.toThrow(
      `Invalid task definition default.c@0.1.0: dependency cycle a → b → a in ${cyclic}`,
    );
    await expect(loadTaskDefinition(join(dir, 'x.txt'), { handlers })).rejects.toThrow(
      'expected a .yaml, .yml or .json file',
    );
  });

  it('names unknown keys and wrong types', () => {
    expect(() => parseTaskDefinition('name: x\nstep_templates: []\nsteps: 3\n', { handlers })).toThrow(
      'steps: unknown field',
    );
    expect(() =>
      parseTaskDefinition(
        'name: x\nstep_templates:\n  - { name: a, handler_class: Shop::ReserveHandler, default_retryable: "yes" }\n',
        { handlers },
      ),
    ).toThrow('step_templates.0.default_retryable: expected a boolean, received "yes"');
  });

  it('reads priority, concurrency and rate_limit on the task and on a step (issue #14)', () => {
    const def = parseTaskDefinition(
      `name: metered
priority: 10
concurrency: { key: context.order_id, limit: 1 }
step_templates:
  - name: reserve
    handler_class: Shop::ReserveHandler
  - name: charge
    handler_class: Shop::ChargeHandler
    depends_on_step: reserve
    priority: -5
    rate_limit: { key: payments-api, limit: 20, period_ms: 1000, burst: 5 }
`,
      { handlers },
    );
    expect(def.priority).toBe(10);
    const flow = Object.fromEntries(def.steps.map((s) => [s.name, s.flow]));
    expect(flow.reserve).toEqual({
      priority: undefined,
      concurrency: { key: 'context.order_id', limit: 1 },
      rateLimit: undefined,
    });
    expect(flow.charge).toEqual({
      priority: -5,
      concurrency: { key: 'context.order_id', limit: 1 },
      rateLimit: { key: 'payments-api', limit: 20, periodMs: 1000, burst: 5 },
    });
    expect(() =>
      parseTaskDefinition(
        'name: x\nstep_templates:\n  - { name: a, handler_class: Shop::ReserveHandler, rate_limit: { key: k, limit: 0 } }\n',
        { handlers },
      ),
    ).toThrow(
      'step_templates.0.rate_limit.limit: expected a positive integer (starts per period), received 0',
    );
  });
});
