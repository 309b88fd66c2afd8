import type { RoutedEvent, RouterBackend } from '../backend';
import { CATALOG_EVENT_NAMES, type CatalogEventName } from '../catalog';
import { createEventMapping } from '../event-mapping';
import { createEventRouter } from '../event-router';
import { SAMPLE_PAYLOADS } from './sample-payloads';

/** The two matchers the suite calls; vitest's and jest's `expect` provide them. */
export interface ContractExpectation {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
}

/** The parts of a test framework the suite needs (vitest, jest, node:test with an `expect`). */
export interface ContractTestApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => unknown): void;
  expect(value: unknown): ContractExpectation;
}

/** How the contract suite makes and inspects the backend under test. */
export interface BackendContractOptions {
  /** Shown in the suite's name. */
  readonly name: string;
  /** Makes a fresh backend for each test. */
  readonly create: () => RouterBackend | Promise<RouterBackend>;
  /**
   * How many events the backend has recorded so far (spans ended, samples written, lines
   * logged), when it can tell. With it, the suite also checks that events are not lost.
   */
  readonly recorded?: (backend: RouterBackend) => number | Promise<number>;
  /** Waits until the backend has finished its asynchronous work, if it has any. */
  readonly flush?: (backend: RouterBackend) => void | Promise<void>;
  /** Closes what `create` opened. */
  readonly dispose?: (backend: RouterBackend) => void | Promise<void>;
}

/** An event as the router makes it; `id` must be one no other event of the suite has. */
function eventFor(id: string, name: string, payload: unknown, samplingRate = 1): RoutedEvent {
  return {
    id,
    name,
    payload,
    timestamp: Date.UTC(2026, 0, 1, 12, 0, 1),
    mapping: createEventMapping({ eventName: name, backends: ['contract'] }),
    samplingRate,
  };
}

async function handled(backend: RouterBackend, event: RoutedEvent): Promise<void> {
  const result = backend.handle(event);
  if (result !== undefined && result !== null) {
    if (typeof result.then !== 'function')
      throw new Error(`handle() returned ${typeof result}, not void or a promise`);
    await result;
  }
}

/**
 * The contract every router backend meets. Every adapter runs it:
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { runBackendContract } from '@tasker/router/testing';
 *
 * runBackendContract({ describe, it, expect }, { name: 'audit', create: () => createAuditBackend() });
 * ```
 *
 * The test functions are passed in, not imported, so the suite also loads from CommonJS.
 */
export function runBackendContract(api: ContractTestApi, options: BackendContractOptions): void {
  const { describe, it, expect } = api;
  let nextId = 0;
  const event = (name: string, payload: unknown, samplingRate = 1) =>
    eventFor(`contract-${++nextId}`, name, payload, samplingRate);

  async function withBackend(body: (backend: RouterBackend) => Promise<void>): Promise<void> {
    const backend = await options.create();
    try {
      await body(backend);
    } finally {
      await options.dispose?.(backend);
    }
  }

  describe(`router backend contract: ${options.name}`, () => {
    it('has a non-empty name and a handle function', () =>
      withBackend(async (backend) => {
        expect(typeof backend.name).toBe('string');
        expect(backend.name.length > 0).toBe(true);
        expect(typeof backend.handle).toBe('function');
      }));

    it('handles every catalog event with a complete payload without throwing or rejecting', () =>
      withBackend(async (backend) => {
        const failures: string[] = [];
        for (const name of CATALOG_EVENT_NAMES) {
          try {
            await handled(backend, event(name, SAMPLE_PAYLOADS[name as CatalogEventName]));
          } catch (error) {
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        await options.flush?.(backend);
        expect(failures).toEqual([]);
      }));

    it('records the events it is given, when it can tell', () =>
      withBackend(async (backend) => {
        if (options.recorded === undefined) return;
        const before = await options.recorded(backend);
        await handled(backend, event('task.completed', SAMPLE_PAYLOADS['task.completed']));
        await handled(backend, event('step.failed', SAMPLE_PAYLOADS['step.failed']));
        await options.flush?.(backend);
        expect((await options.recorded(backend)) > before).toBe(true);
      }));

    it('tolerates payloads with missing or mistyped fields (the hot path never throws)', () =>
      withBackend(async (backend) => {
        const odd: unknown[] = [
          {},
          null,
          undefined,
          42,
          'text',
          { taskId: 7, durationMs: 'slow', attempt: null },
        ];
        const failures: string[] = [];
        for (const payload of odd) {
          for (const name of ['task.completed', 'step.failed', 'database.query_executed']) {
            try {
              await handled(backend, event(name, payload));
            } catch (error) {
              failures.push(`${name} with ${JSON.stringify(payload)}: ${String(error)}`);
            }
          }
        }
        await options.flush?.(backend);
        expect(failures).toEqual([]);
      }));

    it('handles sampled events and registered custom events', () =>
      withBackend(async (backend) => {
        const before = options.recorded === undefined ? 0 : await options.recorded(backend);
        const failures: string[] = [];
        const events = [
          event('database.query_executed', SAMPLE_PAYLOADS['database.query_executed'], 0.1),
          event('shop.order_fulfilled', { orderId: 'o-1', taskId: 'task-0001' }),
        ];
        for (const event of events) {
          try {
            await handled(backend, event);
          } catch (error) {
            failures.push(`${event.name}: ${String(error)}`);
          }
        }
        await options.flush?.(backend);
        expect(failures).toEqual([]);
        if (options.recorded !== undefined) expect((await options.recorded(backend)) >= before).toBe(true);
      }));

    it('works behind a real router without errors or drops', () =>
      withBackend(async (backend) => {
        const errors: unknown[] = [];
        const router = createEventRouter({
          mappings: [{ eventName: '**', backends: ['contract'], priority: 'high' }],
          backends: { contract: backend },
          onError: (error) => errors.push(error),
        });
        for (const name of CATALOG_EVENT_NAMES)
          router.route(name, SAMPLE_PAYLOADS[name as CatalogEventName] as never);
        await router.drain();
        await options.flush?.(backend);
        const stats = router.stats();
        expect(errors).toEqual([]);
        expect(stats.routed).toBe(CATALOG_EVENT_NAMES.length);
        expect(stats.backends.contract?.handled).toBe(CATALOG_EVENT_NAMES.length);
        expect(stats.errors).toBe(0);
        expect(stats.dropped).toBe(0);
      }));
  });
}
