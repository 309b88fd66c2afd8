import type { RoutedEvent, RouterBackend } from '@tasker/router';
import { z } from 'zod';
import { type LogTraceFieldsOf, recordTraceFields } from '../shared/log-trace-fields';
import { parseOptions } from '../shared/parse-options';
import { DropCounter, defaultWarn } from '../shared/warn-once';
import { type LogLevel, levelOf } from './log-levels';
import { type LogFields, logFields, logMessage, type MessageParts, messageParts } from './log-line';

/** What the backend needs of a logger: pino's `(object, message)` methods. pino, its child loggers and most pino-compatible loggers fit. */
export interface LogLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Options of {@link createLogsBackend}. */
export interface LogsBackendOptions {
  /** A pino logger (or anything with pino's `info(object, message)` methods). */
  readonly logger: LogLogger;
  /** The backend's name (what router mappings list). Default `logs`. */
  readonly name?: string;
  /** The level of each event. Default: by outcome (see `levelOf`). */
  readonly level?: (eventName: string) => LogLevel;
  /**
   * The `trace_id`, `span_id` and `trace_flags` of each line. Default: from the task's trace
   * record in the payload (its trace and root span), none for a task without one. With
   * OpenTelemetry tracing, pass `tracing.logTraceFields` (`@tasker/adapters/otel`): a step's
   * lines then carry its attempt's span.
   */
  readonly traceFields?: LogTraceFieldsOf;
  /** Where a one-time warning goes when the logger throws. Default `process.emitWarning`. */
  readonly warn?: (message: string) => void;
}

/** A router backend that writes one structured log line per event. */
export interface LogsBackend extends RouterBackend {
  stats(): { readonly logged: number; readonly dropped: Readonly<Record<string, number>> };
}

const isFunction = (v: unknown) => typeof v === 'function';

/** How the lines of one event name are written. */
interface Writer {
  readonly write: (fields: LogFields, message: string) => void;
  readonly parts: MessageParts;
}

const schema = z
  .object({
    logger: z.custom<LogLogger>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['error', 'warn', 'info', 'debug'].every((m) => isFunction((v as Record<string, unknown>)[m])),
      'expected a pino-compatible logger with error, warn, info and debug methods',
    ),
    name: z.string().min(1, 'expected a non-empty backend name').default('logs'),
    level: z.custom<(eventName: string) => LogLevel>(isFunction, 'expected a function').optional(),
    traceFields: z.custom<LogTraceFieldsOf>(isFunction, 'expected a function').optional(),
    warn: z.custom<(message: string) => void>(isFunction, 'expected a function').optional(),
  })
  .strict();

/**
 * A router backend that logs each event as one structured line through a pino-compatible
 * logger: the level follows the outcome (failed or error → `error`, retry or cancellation →
 * `warn`, started or completed → `info`, the rest `debug`), the task id is the correlation id
 * (`correlationId`), and the message is short (`step charge failed (attempt 2/4): declined`).
 * A traced task's lines carry `trace_id`, `span_id` and `trace_flags`, as pino's OpenTelemetry
 * instrumentation writes them (see `traceFields`).
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { createEventRouter } from '@tasker/router';
 * import { createLogsBackend } from '@tasker/adapters/logs';
 *
 * const router = createEventRouter({ backends: { logs: createLogsBackend({ logger: pino() }) } });
 * ```
 */
export function createLogsBackend(options: LogsBackendOptions): LogsBackend {
  const o = parseOptions('createLogsBackend', schema, options);
  const logger = o.logger;
  const levelFor = o.level ?? levelOf;
  const traceOf = o.traceFields ?? recordTraceFields();
  const drops = new DropCounter(o.name, o.warn ?? defaultWarn);
  // Event names are few: the level, the bound method and the message's parts are worked out
  // once per name.
  const writers = new Map<string, Writer>();
  let logged = 0;
  const writerFor = (name: string): Writer => {
    let w = writers.get(name);
    if (w === undefined) {
      const method = logger[levelFor(name)] ?? logger.info;
      w = { write: (fields, message) => method.call(logger, fields, message), parts: messageParts(name) };
      if (writers.size < 10_000) writers.set(name, w);
    }
    return w;
  };
  return {
    name: o.name,
    handle(event: RoutedEvent): void {
      try {
        let trace: ReturnType<LogTraceFieldsOf>;
        try {
          trace = traceOf(event);
        } catch (error) {
          // The line still goes out, without its trace fields.
          drops.drop('traceFields', () => `traceFields threw, so a line has no trace ids: ${String(error)}`);
        }
        const fields = logFields(event.name, event.payload, event.samplingRate, trace);
        const w = writerFor(event.name);
        w.write(fields, logMessage(w.parts, fields));
        logged++;
      } catch (error) {
        drops.drop('logger', () => `the logger threw, so an event was not logged: ${String(error)}`);
      }
    },
    stats: () => ({ logged, dropped: drops.counts() }),
  };
}
