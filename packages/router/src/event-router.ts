import type { RoutedEvent, RouterBackend } from './backend';
import { BackendDelivery, type BackendSlot, CRITICAL, PRIORITY_LEVELS } from './backend-delivery';
import { CATALOG_EVENT_NAMES, isCatalogEvent } from './catalog';
import { samplingHash, samplingThreshold } from './consistent-sampling';
import {
  type CustomEventDefinition,
  type CustomEventInput,
  parseCustomEvent,
  sameDefinition,
} from './custom-events';
import { DEFAULT_EVENT_MAPPINGS } from './default-mappings';
import { RouterError } from './errors';
import { EventIdSource } from './event-id';
import {
  createEventMapping,
  type EventMapping,
  type EventMappingInput,
  type EventMappingOptions,
} from './event-mapping';
import { type TapOptions, type TapRoute, TapSet } from './event-taps';
import { type MappingLayer, MappingLayers } from './mapping-layers';
import type { PayloadOf } from './payloads';
import { checkBackend, checkRouterOptions, type EventRouterOptions } from './router-options';
import { mappingStats, type RouterStats } from './router-stats';

/**
 * Routes events to telemetry backends. Made by {@link createEventRouter}; there is no global
 * router. Routing never throws.
 */
export interface EventRouter {
  /**
   * Routes one event: one sampling decision, then one `handle` call per target backend.
   * Returns true when the event reached its backends' `handle` (even if one failed).
   *
   * `timestamp` (epoch ms) is when the event happened, if the publisher already knows it (the
   * orchestrator passes the time it recorded for the transition). Without it the router reads
   * its clock for this event, which costs more than the rest of routing on some machines (see
   * bench/results/router.md); a publisher of several events of one moment reads
   * {@link EventRouter.now} once and passes it to each.
   *
   * `id` is the event's identity ({@link RoutedEvent.id}): the same id means the same event, and
   * a backend may drop a repeat. A publisher that may publish an event again, from another
   * process after a crash, passes an id that every process derives alike (the orchestrator
   * passes `<transition id>.<n>`). Without one the router makes an id unique to this call.
   * The router passes the id through as given; pass a non-empty string, or `undefined` for
   * none (also to give an id without a timestamp).
   *
   * @example
   * ```ts
   * router.route('task.completed', payload, transition.at, `${transition.id}.0`);
   * ```
   */
  route<N extends string>(eventName: N, payload: PayloadOf<N>, timestamp?: number, id?: string): boolean;
  /**
   * Reads the router's clock (the `now` option, default `Date.now`), in epoch milliseconds: the
   * time `route()` stamps on an event routed without one. A publisher that routes several events
   * of one moment, such as the events of one transition, reads it once and passes it to each
   * `route()`: one clock read per publish instead of one per event.
   *
   * @example
   * ```ts
   * const at = router.now();
   * router.route('shop.order_paid', { orderId }, at);
   * router.route('shop.receipt_sent', { orderId }, at);
   * ```
   */
  now(): number;
  /**
   * Adds a mapping for `eventName` (a name or a pattern) to the user layer, which beats the
   * default table: `map('step.*', …)` decides `step.completed` although the default table maps
   * that name exactly. Among the user's mappings the most specific wins, and the last mapping
   * for one `eventName` replaces the earlier one.
   *
   * @example
   * ```ts
   * router.map('step.*', { backends: ['metrics'], samplingRate: 0.25, samplingKey: 'taskId' });
   * ```
   */
  map(eventName: string, options?: EventMappingOptions): EventMapping;
  /** Adds one user mapping per entry (see {@link EventRouter.map}): event name (or pattern) → options. */
  configure(mappings: Readonly<Record<string, EventMappingOptions>>): EventMapping[];
  /**
   * Adds a mapping to the default layer, under every mapping of the user's. For a library that
   * registers events and suggests where they go (the orchestrator does so for `retention.swept`
   * and the schedule events), so that a user's pattern still beats its suggestion.
   */
  mapDefault(eventName: string, options?: EventMappingOptions): EventMapping;
  /**
   * The mapping that applies to `eventName`: the user layer's, else the default table's; in a
   * layer, exact, else the most specific pattern.
   */
  mappingFor(eventName: string): EventMapping | undefined;
  /** True when an enabled mapping sends `eventName` to `backend`. */
  routesTo(eventName: string, backend: string): boolean;
  /**
   * The decision `route()` makes, asked ahead: true when an `eventName` event whose sampling
   * key (the payload field named by the mapping's `samplingKey`) holds `key` would reach
   * `backend` under the current mappings: the mapping that applies is enabled, names
   * `backend`, and keeps `key` (consistent sampling), or does not sample. Counts nothing.
   * A mapping that samples without a `samplingKey` decides each event at random in `route()`,
   * which no answer for a key can predict; this then answers for `key` as if it were the key.
   *
   * @example
   * ```ts
   * // Would the trace backend receive this task's task.completed?
   * router.keeps('task.completed', 'trace', taskId);
   * ```
   */
  keeps(eventName: string, backend: string, key: string): boolean;
  /** The `eventName` of every enabled mapping that names `backend`; `[]` when there is none. */
  eventsForBackend(backend: string): string[];
  /**
   * Every mapping in effect for its `eventName`: the default table's in the order they were
   * first added (less those the user mapped again under the same `eventName`), then the user's.
   */
  mappings(): EventMapping[];
  /** Registers a custom event. Identical re-registration is a no-op; a different one throws. */
  registerEvent(definition: CustomEventInput): CustomEventDefinition;
  /** True for catalog events and registered custom events. */
  isKnownEvent(eventName: string): boolean;
  /** Registered custom events. */
  customEvents(): CustomEventDefinition[];
  /** Registers a backend plugin under `name`. Throws if the name is taken. */
  addBackend(name: string, backend: RouterBackend): void;
  /** Unregisters a backend. Its events count as unrouted from then on. */
  removeBackend(name: string): boolean;
  /**
   * Adds a tap: `backend` receives every known event that `events` match (default: all), in
   * addition to where the event's mapping sends it, whatever that mapping says (none, disabled,
   * or sampled out). The tap samples on its own (`samplingRate`, `samplingKey`, as a mapping's).
   * Its events carry the same `id` and `timestamp` as the mapped delivery, and as `mapping` one
   * that names the tap, with its pattern, rate and `metadata.tap`. A tap that throws or rejects is
   * counted and warned about once, and never stops another delivery. `stats().taps` counts each
   * tap apart; `routed`, `errors` and `dropped` count mapped deliveries only.
   *
   * Returns a function that removes the tap (and its counters); it returns false the second time.
   * Throws `ROUTER_OPTIONS_INVALID` for a bad option or a tap name already in use.
   *
   * @example
   * ```ts
   * const stop = router.tap(feed, { events: ['task.*', 'step.*'], samplingRate: 0.5, samplingKey: 'taskId' });
   * stop();
   * ```
   */
  tap(backend: RouterBackend, options?: TapOptions): () => boolean;
  stats(): RouterStats;
  /** Resolves once every promise returned by a backend has settled. */
  drain(): Promise<void>;
  /**
   * Restores the mappings the router was made with (the user layer is emptied, and
   * `mapDefault()` additions are dropped) and zeroes every counter of `stats()`.
   * Generated event ids go on from where they were, so none repeats.
   */
  reset(): void;
}

const MAX_WARNED_NAMES = 100;

/** A compiled route for one event name, cached until the mappings change. */
interface CompiledRoute {
  readonly mapping: EventMapping | undefined;
  /** false: no mapping, or the mapping is disabled. */
  readonly active: boolean;
  readonly level: number;
  /** True when this route samples (rate below 1 and priority not critical). */
  readonly sampled: boolean;
  readonly rate: number;
  readonly threshold: number;
  readonly key: string | undefined;
  readonly slots: readonly BackendSlot[];
  /** The taps this name reaches; undefined when none, so an untapped route pays one check. */
  readonly taps: readonly TapRoute[] | undefined;
}

class Router implements EventRouter {
  readonly #initial: readonly EventMapping[];
  readonly #table = new MappingLayers();
  readonly #cache = new Map<string, CompiledRoute>();
  readonly #custom = new Map<string, CustomEventDefinition>();
  readonly #delivery: BackendDelivery;
  readonly #taps: TapSet;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  readonly #warnedNames = new Set<string>();
  #warnedOverflow = false;
  /** Ids for events routed without one. */
  readonly #ids = new EventIdSource();

  #routed = 0;
  #unrouted = 0;
  #disabled = 0;
  #sampledOut = 0;

  constructor(options: EventRouterOptions) {
    this.#initial = Object.freeze(
      (options.mappings ?? DEFAULT_EVENT_MAPPINGS).map((input, index) => {
        try {
          return createEventMapping(input as EventMappingInput);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new RouterError(
            'ROUTER_OPTIONS_INVALID',
            `Invalid event router options: mappings.${index}: ${message}`,
            {
              cause: error,
            },
          );
        }
      }),
    );
    this.#table.restore(this.#initial);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? defaultWarn;
    this.#delivery = new BackendDelivery({
      onError: options.onError,
      warn: this.#warn,
      normalLimit: options.pendingLimits?.normal ?? 1000,
      highLimit: options.pendingLimits?.high ?? 2000,
    });
    this.#taps = new TapSet({
      onError: options.onError,
      warn: this.#warn,
      normalLimit: options.pendingLimits?.normal ?? 1000,
      highLimit: options.pendingLimits?.high ?? 2000,
    });
    for (const [name, backend] of Object.entries(options.backends ?? {})) {
      this.#delivery.slot(name).backend = backend;
    }
  }

  route<N extends string>(eventName: N, payload: PayloadOf<N>, timestamp?: number, id?: string): boolean {
    let route = this.#cache.get(eventName);
    if (route === undefined) {
      route = this.#compile(eventName);
      if (route === undefined) return false;
    }
    if (route.taps !== undefined) {
      // One time and one id for the tapped and the mapped delivery: they are the same event.
      if (timestamp === undefined) timestamp = this.#now();
      if (id === undefined) id = this.#ids.next();
      this.#tap(route.taps, route.level, eventName, payload, timestamp, id);
    }
    if (!route.active) {
      if (route.mapping === undefined) this.#unrouted++;
      else this.#disabled++;
      return false;
    }
    let rate = 1;
    if (route.sampled) {
      if (!this.#keeps(route, payload)) {
        this.#sampledOut++;
        return false;
      }
      rate = route.rate;
    }
    const event: RoutedEvent = {
      // Made only for an event that reaches its backends: unrouted and sampled-out ones cost no id.
      id: id === undefined ? this.#ids.next() : id,
      name: eventName,
      payload,
      timestamp: timestamp === undefined ? this.#now() : timestamp,
      mapping: route.mapping as EventMapping,
      samplingRate: rate,
    };
    this.#routed++;
    const slots = route.slots;
    const delivery = this.#delivery;
    for (let i = 0; i < slots.length; i++) delivery.deliver(slots[i] as BackendSlot, event, route.level);
    return true;
  }

  now(): number {
    return this.#now();
  }

  #tap(
    taps: readonly TapRoute[],
    level: number,
    name: string,
    payload: unknown,
    timestamp: number,
    id: string,
  ): void {
    const set = this.#taps;
    for (let i = 0; i < taps.length; i++) {
      const { tap, mapping } = taps[i] as TapRoute;
      if (!set.keeps(tap, payload, this.#random)) {
        tap.sampledOut++;
        continue;
      }
      set.delivery.deliver(
        tap.slot,
        { id, name, payload, timestamp, mapping, samplingRate: tap.rate },
        level,
      );
    }
  }

  tap(backend: RouterBackend, options: TapOptions = {}): () => boolean {
    const tap = this.#taps.add(backend, options);
    this.#cache.clear();
    return () => {
      const removed = this.#taps.remove(tap);
      if (removed) this.#cache.clear();
      return removed;
    };
  }

  #keeps(route: CompiledRoute, payload: unknown): boolean {
    if (route.key !== undefined && typeof payload === 'object' && payload !== null) {
      const value = (payload as Record<string, unknown>)[route.key];
      if (value !== undefined && value !== null) {
        return samplingHash(typeof value === 'string' ? value : String(value)) < route.threshold;
      }
    }
    // No key configured, or the payload lacks it: sample this event on its own.
    return this.#random() < route.rate;
  }

  #compile(eventName: string): CompiledRoute | undefined {
    if (!this.isKnownEvent(eventName)) {
      // Unknown names are not cached, so a flood of distinct names cannot grow memory.
      this.#unrouted++;
      this.#warnUnknown(eventName);
      return undefined;
    }
    const mapping = this.#table.resolve(eventName)?.mapping;
    const active = mapping?.enabled === true;
    const rate = mapping?.samplingRate ?? 1;
    const level = PRIORITY_LEVELS[mapping?.priority ?? 'normal'];
    const route: CompiledRoute = {
      mapping,
      active,
      level,
      sampled: active && rate < 1 && level !== CRITICAL,
      rate,
      threshold: samplingThreshold(rate),
      key: mapping?.samplingKey,
      slots: active && mapping !== undefined ? mapping.backends.map((name) => this.#delivery.slot(name)) : [],
      taps: this.#taps.routesFor(eventName),
    };
    this.#cache.set(eventName, route);
    return route;
  }

  #warnUnknown(eventName: string): void {
    if (this.#warnedNames.has(eventName)) return;
    if (this.#warnedNames.size >= MAX_WARNED_NAMES) {
      if (!this.#warnedOverflow) {
        this.#warnedOverflow = true;
        this.#warn(
          `Tasker router: more than ${MAX_WARNED_NAMES} unknown event names; further ones are counted, not reported`,
        );
      }
      return;
    }
    this.#warnedNames.add(eventName);
    this.#warn(
      `Tasker router: event "${eventName}" is neither in the catalog nor registered; it is counted as unrouted (register it with router.registerEvent)`,
    );
  }

  map(eventName: string, options: EventMappingOptions = {}): EventMapping {
    return this.#add('user', eventName, options);
  }

  mapDefault(eventName: string, options: EventMappingOptions = {}): EventMapping {
    return this.#add('default', eventName, options);
  }

  #add(layer: MappingLayer, eventName: string, options: EventMappingOptions): EventMapping {
    const mapping = createEventMapping({ ...options, eventName });
    this.#table.set(layer, mapping);
    this.#cache.clear();
    return mapping;
  }

  configure(mappings: Readonly<Record<string, EventMappingOptions>>): EventMapping[] {
    // Validate every entry before changing anything, so a bad entry leaves the table as it was.
    const made = Object.entries(mappings).map(([eventName, options]) =>
      createEventMapping({ ...options, eventName }),
    );
    for (const mapping of made) this.#table.set('user', mapping);
    this.#cache.clear();
    return made;
  }

  mappingFor(eventName: string): EventMapping | undefined {
    return this.#table.resolve(eventName)?.mapping;
  }

  routesTo(eventName: string, backend: string): boolean {
    const mapping = this.#table.resolve(eventName)?.mapping;
    return mapping?.enabled === true && mapping.backends.includes(backend);
  }

  keeps(eventName: string, backend: string, key: string): boolean {
    const route =
      this.#cache.get(eventName) ?? (this.isKnownEvent(eventName) ? this.#compile(eventName) : undefined);
    if (route === undefined || !route.active || route.mapping?.backends.includes(backend) !== true)
      return false;
    return !route.sampled || samplingHash(key) < route.threshold;
  }

  eventsForBackend(backend: string): string[] {
    return this.#table
      .all()
      .filter((m) => m.enabled && m.backends.includes(backend))
      .map((m) => m.eventName);
  }

  mappings(): EventMapping[] {
    return this.#table.all();
  }

  registerEvent(input: CustomEventInput): CustomEventDefinition {
    const definition = parseCustomEvent(input);
    const existing = this.#custom.get(definition.name);
    if (existing !== undefined) {
      if (sameDefinition(existing, definition)) return existing;
      throw new RouterError(
        'EVENT_DEFINITION_CONFLICT',
        `Custom event "${definition.name}" is already registered with a different definition (description ${JSON.stringify(existing.description)}, firedBy [${existing.firedBy.join(', ')}])`,
      );
    }
    this.#custom.set(definition.name, definition);
    return definition;
  }

  isKnownEvent(eventName: string): boolean {
    return isCatalogEvent(eventName) || this.#custom.has(eventName);
  }

  customEvents(): CustomEventDefinition[] {
    return [...this.#custom.values()];
  }

  addBackend(name: string, backend: RouterBackend): void {
    checkBackend(name, backend);
    if (this.#delivery.registered(name) !== undefined) {
      throw new RouterError(
        'ROUTER_OPTIONS_INVALID',
        `A backend is already registered as "${name}"; remove it first`,
      );
    }
    this.#delivery.slot(name).backend = backend;
  }

  removeBackend(name: string): boolean {
    if (this.#delivery.registered(name) === undefined) return false;
    this.#delivery.slot(name).backend = undefined;
    return true;
  }

  stats(): RouterStats {
    const delivery = this.#delivery;
    return {
      ...mappingStats(this.#table, [...CATALOG_EVENT_NAMES, ...this.#custom.keys()]),
      routed: this.#routed,
      unrouted: this.#unrouted + delivery.unrouted,
      disabled: this.#disabled,
      sampledOut: this.#sampledOut,
      errors: delivery.errors,
      dropped: delivery.dropped,
      backends: delivery.stats(),
      taps: this.#taps.stats(),
    };
  }

  async drain(): Promise<void> {
    await Promise.all([this.#delivery.drain(), this.#taps.delivery.drain()]);
  }

  reset(): void {
    this.#table.restore(this.#initial);
    this.#cache.clear();
    this.#routed = 0;
    this.#unrouted = 0;
    this.#disabled = 0;
    this.#sampledOut = 0;
    this.#warnedNames.clear();
    this.#warnedOverflow = false;
    this.#delivery.reset();
    this.#taps.reset();
  }
}

function defaultWarn(message: string): void {
  if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
    process.emitWarning(message, 'TaskerRouterWarning');
  } else {
    console.warn(message);
  }
}

/**
 * Makes an event router. Options are validated at once; a bad one throws a `RouterError` that
 * names the field.
 *
 * @example
 * ```ts
 * const router = createEventRouter({
 *   backends: {
 *     trace: { name: 'trace', handle: (e) => tracer.record(e) },
 *     metrics: { name: 'metrics', handle: (e) => metrics.record(e) },
 *   },
 * });
 * router.route('task.completed', { taskId: 't1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' });
 * ```
 */
export function createEventRouter(options: EventRouterOptions = {}): EventRouter {
  checkRouterOptions(options);
  return new Router(options);
}
