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

export type { EventRouter } from './event-router-interface';

import type { EventRouter } from './event-router-interface';

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
