import type { EventMapping } from './event-mapping';

/**
 * What a backend receives for each routed event. One object is shared by every backend the
 * event goes to, so backends must treat it as read-only.
 */
export interface RoutedEvent<P = unknown> {
  /**
   * The event's identity: the same id means the same event. Delivery is exactly once while
   * the publishing process lives, and at-least-once across a crash (another process
   * republishes what a dead one committed but had not published), so a backend may see an
   * event again. A backend that must not count a repeat drops it by this id; one that does not
   * care may ignore it.
   *
   * The id is the one the publisher passed to `route()`: the orchestrator's ids are derived from
   * the transition the event describes (`<transition id>.<n>`), so they are the same in every
   * process that publishes that event. Without one the router makes an id unique to that call
   * (a random prefix chosen when the router is made, then a counter), which no other event
   * shares and no republication repeats.
   */
  readonly id: string;
  readonly name: string;
  readonly payload: P;
  /**
   * When the event happened, in epoch milliseconds: the time its publisher passed to `route()`,
   * else the router's clock (`now`) read when the event was routed.
   */
  readonly timestamp: number;
  /** The mapping that sent the event here. */
  readonly mapping: EventMapping;
  /**
   * The sampling rate the event survived: the mapping's rate, or 1 when the event bypassed
   * sampling (rate 1, or `critical` priority). A metrics backend counts `1 / samplingRate`.
   */
  readonly samplingRate: number;
}

/**
 * A telemetry backend plugin: traces, metrics, logs, or anything custom.
 *
 * `handle` may return a promise. The router then counts it as pending until it settles, sheds
 * lower-priority events while too many are pending, and reports a rejection to `onError`. A
 * backend that throws or rejects never breaks the program that routes the event.
 *
 * @example
 * ```ts
 * const audit: RouterBackend = {
 *   name: 'audit',
 *   handle(event) {
 *     auditLog.push({ at: event.timestamp, name: event.name });
 *   },
 * };
 * ```
 */
export interface RouterBackend {
  readonly name: string;
  handle(event: RoutedEvent): void | PromiseLike<void>;
}
