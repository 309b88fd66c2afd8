import { z } from 'zod';
import { RouterError } from './errors';
import { patternProblem } from './event-pattern';
import { describeIssues, showValue } from './validation-message';

/** How urgently an event must reach its backends. `critical` is never sampled out or shed. */
export type EventPriority = 'normal' | 'high' | 'critical';

/** The priorities in increasing order of urgency. */
export const EVENT_PRIORITIES: readonly EventPriority[] = Object.freeze(['normal', 'high', 'critical']);

/** Backend names are plain identifiers: `trace`, `metrics`, `logs`, `audit_sink`, `my-plugin`. */
export const BACKEND_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Where one event (or a pattern of events) goes. Made by {@link createEventMapping}, which
 * validates it and freezes it.
 */
export interface EventMapping {
  /** An exact event name, or a pattern (`step.*`, `observability.**`). */
  readonly eventName: string;
  /** Names of the backends that receive the event. */
  readonly backends: readonly string[];
  /** Fraction of events kept, from 0 to 1. */
  readonly samplingRate: number;
  /**
   * Payload field for consistent sampling: all events with the same value (a `taskId`, say)
   * are kept or dropped together, in every process. Unset: each event is sampled on its own.
   */
  readonly samplingKey: string | undefined;
  readonly priority: EventPriority;
  readonly enabled: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

const eventNameField = z
  .string({ error: (i) => `expected a string, received ${showValue(i.input)}` })
  .check((ctx) => {
    const problem = patternProblem(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

const backendName = z
  .string({ error: (i) => `expected a backend name string, received ${showValue(i.input)}` })
  .regex(BACKEND_NAME, {
    error: (i) =>
      `expected a plain identifier (letters, digits, "_" or "-", not starting with a digit), received ${showValue(i.input)}`,
  });

const mappingSchema = z.strictObject(
  {
    eventName: eventNameField,
    backends: z
      .array(backendName, {
        error: (i) => `expected an array of backend names, received ${showValue(i.input)}`,
      })
      .min(1, { error: 'expected at least one backend (use enabled: false to route an event nowhere)' })
      .refine((names) => new Set(names).size === names.length, {
        error: 'expected each backend at most once',
      })
      .default(['trace']),
    samplingRate: z
      .number({ error: (i) => `expected a number from 0 to 1, received ${showValue(i.input)}` })
      .min(0, { error: (i) => `expected a number from 0 to 1, received ${showValue(i.input)}` })
      .max(1, { error: (i) => `expected a number from 0 to 1, received ${showValue(i.input)}` })
      .default(1),
    samplingKey: z
      .string({ error: (i) => `expected a payload field name, received ${showValue(i.input)}` })
      .min(1, { error: 'expected a non-empty payload field name' })
      .optional(),
    priority: z
      .enum(['normal', 'high', 'critical'], {
        error: (i) => `expected "normal", "high" or "critical", received ${showValue(i.input)}`,
      })
      .default('normal'),
    enabled: z
      .boolean({ error: (i) => `expected true or false, received ${showValue(i.input)}` })
      .default(true),
    metadata: z
      .record(z.string(), z.unknown(), { error: (i) => `expected an object, received ${showValue(i.input)}` })
      .default({}),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys' ? undefined : `expected an object, received ${showValue(i.input)}`,
  },
);

/** What {@link createEventMapping} accepts: only `eventName` is required. */
export type EventMappingInput = z.input<typeof mappingSchema>;

/** What `router.map(eventName, options)` accepts: a mapping without its name. */
export type EventMappingOptions = Omit<EventMappingInput, 'eventName'>;

/**
 * Validates `input` and returns a frozen {@link EventMapping}, with the defaults of the
 * original Tasker: backends `['trace']`, sampling 1, priority `normal`, enabled.
 *
 * It checks the syntax of backend names only: a mapping does not know which backends a router
 * holds. A name that no router registers is counted as unrouted when events reach it.
 *
 * @throws RouterError `EVENT_MAPPING_INVALID`, naming each bad field and what was expected.
 *
 * @example
 * ```ts
 * const mapping = createEventMapping({ eventName: 'step.*', backends: ['trace', 'metrics'], samplingRate: 0.5 });
 * ```
 */
export function createEventMapping(input: EventMappingInput): EventMapping {
  const result = mappingSchema.safeParse(input);
  if (!result.success) {
    const name =
      typeof input === 'object' && input !== null && typeof input.eventName === 'string'
        ? ` for "${input.eventName}"`
        : '';
    throw new RouterError(
      'EVENT_MAPPING_INVALID',
      `Invalid event mapping${name}: ${describeIssues(result.error.issues)}`,
    );
  }
  const m = result.data;
  return Object.freeze({
    eventName: m.eventName,
    backends: Object.freeze([...m.backends]),
    samplingRate: m.samplingRate,
    samplingKey: m.samplingKey,
    priority: m.priority,
    enabled: m.enabled,
    metadata: Object.freeze({ ...m.metadata }),
  });
}

/** True for an object made by {@link createEventMapping} (frozen, so already validated). */
export function isEventMapping(value: unknown): value is EventMapping {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.isFrozen(value) &&
    typeof (value as EventMapping).eventName === 'string' &&
    Array.isArray((value as EventMapping).backends)
  );
}
