import type { RoutedEvent, RouterBackend } from '../backend';
import { CATALOG_EVENT_NAMES, type CatalogEventName } from '../catalog';
import { createEventMapping } from '../event-mapping';
import { createEventRouter, type EventRouter } from '../event-router';
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

/** How the contract suite counts what a backend has recorded. */
export interface RecordedProbe {
  /**
   * How many events the backend has recorded so far: spans ended, series updated, lines
   * logged. The suite reads it after `flush`.
   */
  count(backend: RouterBackend): number | Promise<number>;
  /**
   * Catalog events of which each adds exactly one to `count` when handled with its
   * `SAMPLE_PAYLOADS` payload, whatever was handled before. At least one. An event left out may
   * add anything (a metrics backend has no metric for most workflow events).
   */
  readonly events: readonly CatalogEventName[];
}

/** How the contract suite makes and inspects the backend under test. */
export interface BackendContractOptions {
  /** Shown in the suite's name. */
  readonly name: string;
  /** Makes a fresh backend for each test. */
  readonly create: () => RouterBackend | Promise<RouterBackend>;
  /**
   * How the suite sees what the backend records. Required, so that leaving it out is a
   * decision: `null` for a backend that cannot tell (one that forwards every event elsewhere).
   * The suite then checks only what the router sees (every event handed over, none failed or
   * shed), which a backend that silently does nothing also passes.
   */
  readonly recorded: RecordedProbe | null;
  /** Waits until the backend has finished its asynchronous work, if it has any. */
  readonly flush?: (backend: RouterBackend) => void | Promise<void>;
  /** Closes what `create` opened. */
  readonly dispose?: (backend: RouterBackend) => void | Promise<void>;
}

/** The backend name of the suite's routers. */
const CONTRACT = 'contract';
const TIMESTAMP = Date.UTC(2026, 0, 1, 12, 0, 1);
/** Events used where the probe names none. */
const DEFAULT_EVENTS: readonly CatalogEventName[] = ['task.completed', 'step.failed'];

/**
 * The contract every router backend meets. Every adapter runs it:
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { runBackendContract } from '@tasker/router/testing';
 *
 * runBackendContract(
 *   { describe, it, expect },
 *   {
 *     name: 'audit',
 *     create: () => createAuditBackend(),
 *     recorded: { count: (b) => (b as AuditBackend).lines.length, events: ['task.completed'] },
 *   },
 * );
 * ```
 *
 * Every case asserts something a broken backend fails. With a probe, each event it lists must
 * be recorded exactly once each time it is handled, directly or through a router; without one,
 * the router's counters must show every event handled and none failed or shed.
 *
 * The test functions are passed in, not imported, so the suite also loads from CommonJS.
 */
export function runBackendContract(api: ContractTestApi, options: BackendContractOptions): void {
  const { describe, it, expect } = api;
  const probe = checkedProbe(options);
  const recordedEvents = probe?.events ?? DEFAULT_EVENTS;
  let nextId = 0;

  /** An event as the router makes it, with an id no other event of the suite has. */
  function eventFor(name: string, payload: unknown, samplingRate = 1): RoutedEvent {
    return {
      id: `contract-${++nextId}`,
      name,
      payload,
      timestamp: TIMESTAMP,
      mapping: createEventMapping({ eventName: name, backends: [CONTRACT] }),
      samplingRate,
    };
  }

  async function withBackend(body: (backend: RouterBackend) => Promise<void>): Promise<void> {
    const backend = await options.create();
    try {
      await body(backend);
    } finally {
      await options.dispose?.(backend);
    }
  }

  /** What the probe counts, after the backend's asynchronous work; 0 without a probe. */
  async function count(backend: RouterBackend): Promise<number> {
    await options.flush?.(backend);
    return probe === null ? 0 : await probe.count(backend);
  }

  /** A router that sends every event to `backend` at high priority, collecting its errors. */
  function routerFor(backend: RouterBackend, errors: unknown[], random?: () => number): EventRouter {
    return createEventRouter({
      mappings: [{ eventName: '**', backends: [CONTRACT], priority: 'high' }],
      backends: { [CONTRACT]: backend },
      onError: (error) => errors.push(error),
      ...(random === undefined ? {} : { random }),
    });
  }

  /** Drains `router`, then checks that its backend handled `handled` events without a failure. */
  async function expectDelivered(
    router: EventRouter,
    backend: RouterBackend,
    errors: unknown[],
    handled: number,
  ): Promise<void> {
    await router.drain();
    await options.flush?.(backend);
    const stats = router.stats();
    expect(errors).toEqual([]);
    expect(stats.backends[CONTRACT]).toEqual({ handled, errors: 0, dropped: 0, unrouted: 0, pending: 0 });
  }

  describe(`router backend contract: ${options.name}`, () => {
    it('has a non-empty name and a handle function', () =>
      withBackend(async (backend) => {
        expect(typeof backend.name).toBe('string');
        expect(backend.name.length > 0).toBe(true);
        expect(typeof backend.handle).toBe('function');
        if (probe !== null) {
          // A probe that lists nothing would let every count below pass unchecked.
          expect(probe.events.length === 0 ? 'the probe lists no event' : 'listed').toBe('listed');
          expect(probe.events.filter((name) => !CATALOG_EVENT_NAMES.includes(name))).toEqual([]);
        }
      }));

    it('handles every catalog event with a complete payload without throwing or rejecting, recording each it records once', () =>
      withBackend(async (backend) => {
        const failures: string[] = [];
        const miscounted: string[] = [];
        for (const name of CATALOG_EVENT_NAMES) {
          const before = await count(backend);
          try {
            await handled(backend, eventFor(name, SAMPLE_PAYLOADS[name as CatalogEventName]));
          } catch (error) {
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
          }
          const added = (await count(backend)) - before;
          if (probe?.events.includes(name) && added !== 1)
            miscounted.push(`${name}: recorded ${added} times`);
        }
        expect(failures).toEqual([]);
        expect(miscounted).toEqual([]);
      }));

    it('records each event it is given, once, behind a real router', () =>
      withBackend(async (backend) => {
        const errors: unknown[] = [];
        const router = routerFor(backend, errors);
        const before = await count(backend);
        for (const name of recordedEvents) router.route(name, SAMPLE_PAYLOADS[name] as never);
        await expectDelivered(router, backend, errors, recordedEvents.length);
        if (probe !== null) expect((await count(backend)) - before).toBe(recordedEvents.length);
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
              await handled(backend, eventFor(name, payload));
            } catch (error) {
              failures.push(`${name} with ${JSON.stringify(payload)}: ${String(error)}`);
            }
          }
        }
        await options.flush?.(backend);
        expect(failures).toEqual([]);
      }));

    it('records a sampled event once, and a registered custom event at most once', () =>
      withBackend(async (backend) => {
        const errors: unknown[] = [];
        const sampled = recordedEvents[0] as CatalogEventName;
        // random() = 0 keeps every event of a mapping sampled at 0.1, so the backend receives
        // samplingRate 0.1, as it would for the one event in ten that sampling keeps.
        const router = routerFor(backend, errors, () => 0);
        router.map(sampled, { backends: [CONTRACT], samplingRate: 0.1 });
        router.registerEvent({ name: 'shop.order_fulfilled', description: 'contract suite', firedBy: [] });
        const before = await count(backend);
        router.route(sampled, SAMPLE_PAYLOADS[sampled] as never);
        await expectDelivered(router, backend, errors, 1);
        const afterSampled = await count(backend);
        router.route('shop.order_fulfilled', { orderId: 'o-1', taskId: 'task-0001' });
        await expectDelivered(router, backend, errors, 2);
        expect(router.stats().sampledOut).toBe(0);
        if (probe !== null) {
          expect(afterSampled - before).toBe(1);
          expect(atMostOnce((await count(backend)) - afterSampled)).toBe('at most once');
        }
      }));

    it('receives the event id: the publisher’s as given, else a unique one, and records distinct ids as distinct events', () =>
      withBackend(async (backend) => {
        const errors: unknown[] = [];
        const seen: string[] = [];
        // Sees each event as the backend receives it, then hands it on unchanged.
        const observed: RouterBackend = {
          name: backend.name,
          handle: (event) => {
            seen.push(event.id);
            return backend.handle(event);
          },
        };
        const router = routerFor(observed, errors);
        const name = recordedEvents[0] as CatalogEventName;
        const before = await count(backend);
        router.route(name, distinctPayload(name, 1), TIMESTAMP, '4711.0');
        router.route(name, distinctPayload(name, 2), TIMESTAMP, '4711.1');
        router.route(name, distinctPayload(name, 3));
        router.route(name, distinctPayload(name, 4));
        await expectDelivered(router, backend, errors, 4);
        expect(seen.slice(0, 2)).toEqual(['4711.0', '4711.1']);
        const generated = seen.slice(2);
        expect(generated.filter((id) => typeof id !== 'string' || id.length === 0)).toEqual([]);
        expect(new Set(seen).size).toBe(4);
        const afterDistinct = await count(backend);
        // At-least-once delivery: the same event again, with its id. Handled without a failure;
        // the backend records it again or drops it as a repeat.
        router.route(name, distinctPayload(name, 1), TIMESTAMP, '4711.0');
        await expectDelivered(router, backend, errors, 5);
        expect(seen[4]).toBe('4711.0');
        if (probe !== null) {
          expect(afterDistinct - before).toBe(4);
          expect(atMostOnce((await count(backend)) - afterDistinct)).toBe('at most once');
        }
      }));

    it('works behind a real router without errors or drops', () =>
      withBackend(async (backend) => {
        const errors: unknown[] = [];
        const router = routerFor(backend, errors);
        const before = await count(backend);
        for (const name of CATALOG_EVENT_NAMES)
          router.route(name, SAMPLE_PAYLOADS[name as CatalogEventName] as never);
        await expectDelivered(router, backend, errors, CATALOG_EVENT_NAMES.length);
        const stats = router.stats();
        expect(stats.routed).toBe(CATALOG_EVENT_NAMES.length);
        expect(stats.errors).toBe(0);
        expect(stats.dropped).toBe(0);
        // At least the listed events; others may add too. Read "expected 3 to be 4" as "3 of 4".
        if (probe !== null)
          expect(Math.min((await count(backend)) - before, recordedEvents.length)).toBe(
            recordedEvents.length,
          );
      }));
  });
}

/** The probe, or a clear error for a call written for the suite before `recorded` was required. */
function checkedProbe(options: BackendContractOptions): RecordedProbe | null {
  const probe: unknown = options.recorded;
  if (probe === null) return null;
  if (typeof probe === 'object' && typeof (probe as RecordedProbe).count === 'function') {
    if (Array.isArray((probe as RecordedProbe).events)) return probe as RecordedProbe;
  }
  const received = typeof probe === 'function' ? 'a function (the earlier form)' : String(probe);
  throw new TypeError(
    `runBackendContract "${options.name}": recorded: expected { count(backend), events: [catalog event names] }, or null for a backend that cannot tell what it recorded, received ${received}`,
  );
}

/** 'at most once' for 0 or 1 records, else what was recorded, for the failure message. */
function atMostOnce(added: number): string {
  return added === 0 || added === 1 ? 'at most once' : `recorded ${added} times`;
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
 * The sample payload of `name` made into the `k`th of several different events: its own task id
 * and no trace context (a trace backend then derives the trace from the task id), so that a
 * backend that keeps one record per task or per trace still sees distinct events.
 */
function distinctPayload(name: CatalogEventName, k: number): never {
  const { traceContext: _, ...rest } = SAMPLE_PAYLOADS[name] as unknown as Record<string, unknown>;
  const taskId = typeof rest.taskId === 'string' ? rest.taskId : 'task';
  return { ...rest, taskId: `${taskId}-${k}` } as never;
}
