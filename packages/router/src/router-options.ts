import { z } from 'zod';
import type { RoutedEvent, RouterBackend } from './backend';
import { RouterError } from './errors';
import { BACKEND_NAME, type EventMapping, type EventMappingInput } from './event-mapping';
import { describeIssues, showValue } from './validation-message';

/** Where an error from a backend is reported. */
export interface BackendErrorContext {
  /** The name the backend is registered under. */
  readonly backend: string;
  readonly event: RoutedEvent;
}

/**
 * Pending-promise limits per backend. When a backend has `normal` promises pending, new
 * `normal` events to it are shed; at `high`, `high` events are shed too. `critical` events are
 * never shed.
 */
export interface PendingLimits {
  readonly normal: number;
  readonly high: number;
}

/** Options of {@link createEventRouter}. Every field is optional. */
export interface EventRouterOptions {
  /** The routing table. Default: `DEFAULT_EVENT_MAPPINGS`. Pass `[]` to start empty. */
  readonly mappings?: readonly (EventMapping | EventMappingInput)[];
  /** Backend name (as mappings name it) → plugin. */
  readonly backends?: Readonly<Record<string, RouterBackend>>;
  /** Uniform random numbers in [0, 1) for per-event sampling. Default: `Math.random`. */
  readonly random?: () => number;
  /** The clock stamped on routed events, in epoch milliseconds. Default: `Date.now`. */
  readonly now?: () => number;
  /** Called when a backend throws or rejects. Default: warns once per backend. */
  readonly onError?: (error: unknown, context: BackendErrorContext) => void;
  /** Where one-time warnings go. Default: `process.emitWarning`. */
  readonly warn?: (message: string) => void;
  /** Default: `{ normal: 1000, high: 2000 }`. */
  readonly pendingLimits?: PendingLimits;
}

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
    error: (i) => `expected ${what}, received ${showValue(i.input)}`,
  });

const backendSchema = z.custom<RouterBackend>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as RouterBackend).name === 'string' &&
    typeof (v as RouterBackend).handle === 'function',
  { error: () => 'expected a backend plugin: an object with a string "name" and a "handle(event)" function' },
);

const limit = z
  .number({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` })
  .int({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` })
  .positive({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` });

const optionsSchema = z.strictObject(
  {
    mappings: z
      .array(z.unknown(), { error: (i) => `expected an array of mappings, received ${showValue(i.input)}` })
      .optional(),
    backends: z
      .record(
        z.string().regex(BACKEND_NAME, {
          error: (i) => `expected a plain identifier as backend name, received ${showValue(i.input)}`,
        }),
        backendSchema,
        { error: (i) => `expected an object of backend name → plugin, received ${showValue(i.input)}` },
      )
      .optional(),
    random: fn('a function returning a number in [0, 1)').optional(),
    now: fn('a function returning epoch milliseconds').optional(),
    onError: fn('a function (error, context) => void').optional(),
    warn: fn('a function (message) => void').optional(),
    pendingLimits: z
      .strictObject({ normal: limit, high: limit })
      .refine((l) => l.high >= l.normal, { error: 'expected high to be at least normal' })
      .optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

/** Validates router options; throws `ROUTER_OPTIONS_INVALID` naming each bad field. */
export function checkRouterOptions(options: unknown): void {
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    throw new RouterError(
      'ROUTER_OPTIONS_INVALID',
      `Invalid event router options: ${describeIssues(result.error.issues)}`,
    );
  }
}

/** Validates one backend given to `addBackend`. */
export function checkBackend(name: string, backend: unknown): void {
  const result = z
    .strictObject({ name: z.string().regex(BACKEND_NAME), backend: backendSchema })
    .safeParse({ name, backend });
  if (!result.success) {
    throw new RouterError(
      'ROUTER_OPTIONS_INVALID',
      `Invalid backend "${name}": ${describeIssues(result.error.issues)}`,
    );
  }
}
