import type { EventMapping } from './event-mapping';

/**
 * What a backend receives for each routed event. One object is shared by every backend the
 * event goes to, so backends must treat it as read-only.
 */
export interface RoutedEvent<P = unknown> {
  readonly name: string;
  readonly payload: P;
  /** When the event was routed, in epoch milliseconds (from the router's clock). */
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
