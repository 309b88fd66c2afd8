import type { RoutedEvent, RouterBackend } from './backend';
import type { CustomEventDefinition, CustomEventInput } from './custom-events';
import type { EventMapping, EventMappingOptions } from './event-mapping';
import type { TapOptions } from './event-taps';
import type { PayloadOf } from './payloads';
import type { RouterStats } from './router-stats';

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
