import { z } from 'zod';
import type { RouterBackend } from './backend';
import { BackendDelivery, type BackendSlot } from './backend-delivery';
import { samplingHash, samplingThreshold } from './consistent-sampling';
import { RouterError } from './errors';
import { BACKEND_NAME, createEventMapping, type EventMapping } from './event-mapping';
import { type EventPattern, parseEventPattern, patternMatches, patternProblem } from './event-pattern';
import type { BackendErrorContext } from './router-options';
import { describeIssues, showValue } from './validation-message';

/**
 * Taps: backends that receive events in addition to their mappings.
 *
 * A mapping decides where an event goes, and one mapping wins per name, so a backend that must
 * see every task event (a dashboard's live feed, an audit sink) would otherwise have to be named
 * in every mapping, or take them from another backend. A tap sees every known event its patterns
 * match, whatever the mappings say (no mapping, a disabled one, or one that sampled the event
 * out), with its own sampling, and `stats().taps` counts it apart from the mapped deliveries.
 */

/** What `router.tap(backend, options)` accepts. Every field is optional. */
export interface TapOptions {
  /** Event names or patterns (`task.*`, `**`) the tap receives. Default: `['**']`, every event. */
  readonly events?: string | readonly string[];
  /** Fraction of matching events kept, from 0 to 1. Default: 1. */
  readonly samplingRate?: number;
  /**
   * Payload field for consistent sampling, as a mapping's: every event with one value is kept or
   * dropped together. Unset: each event is sampled on its own.
   */
  readonly samplingKey?: string;
}

/** Counters of one tap, in `stats().taps` under the tap backend's name. */
export interface TapStats {
  /** The patterns the tap receives. */
  readonly events: readonly string[];
  readonly samplingRate: number;
  /** Events handed to the tap's `handle`. */
  readonly handled: number;
  /** Matching events its sampling dropped. */
  readonly sampledOut: number;
  /** Throws and rejections. */
  readonly errors: number;
  /** Events shed because too many of its promises were pending. */
  readonly dropped: number;
  /** Promises returned by its `handle` that have not settled. */
  readonly pending: number;
}

/** One registered tap. */
export interface Tap {
  readonly name: string;
  readonly patterns: readonly EventPattern[];
  /** One mapping per pattern, what the tap's events carry as `mapping`. */
  readonly mappings: readonly EventMapping[];
  readonly rate: number;
  readonly threshold: number;
  readonly key: string | undefined;
  readonly slot: BackendSlot;
  sampledOut: number;
}

/** A tap that applies to one event name, with the mapping its events carry. */
export interface TapRoute {
  readonly tap: Tap;
  readonly mapping: EventMapping;
}

const rateError = (i: { input: unknown }) => `expected a number from 0 to 1, received ${showValue(i.input)}`;
const pattern = z
  .string({ error: (i) => `expected an event name or pattern, received ${showValue(i.input)}` })
  .check((ctx) => {
    const problem = patternProblem(ctx.value);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

const tapSchema = z.strictObject(
  {
    events: z
      .preprocess(
        (v) => (typeof v === 'string' ? [v] : v),
        z
          .array(pattern, {
            error: (i) => `expected a pattern or an array of patterns, received ${showValue(i.input)}`,
          })
          .min(1, { error: 'expected at least one pattern' }),
      )
      .optional(),
    samplingRate: z
      .number({ error: rateError })
      .min(0, { error: rateError })
      .max(1, { error: rateError })
      .optional(),
    samplingKey: z
      .string({ error: (i) => `expected a payload field name, received ${showValue(i.input)}` })
      .min(1, { error: 'expected a non-empty payload field name' })
      .optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

const backendSchema = z.custom<RouterBackend>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as RouterBackend).name === 'string' &&
    BACKEND_NAME.test((v as RouterBackend).name) &&
    typeof (v as RouterBackend).handle === 'function',
  {
    error: () =>
      'expected a backend plugin: an object with a "name" that is a plain identifier (letters, digits, "_" or "-", not starting with a digit) and a "handle(event)" function',
  },
);

export interface TapSetOptions {
  readonly onError: ((error: unknown, context: BackendErrorContext) => void) | undefined;
  readonly warn: (message: string) => void;
  readonly normalLimit: number;
  readonly highLimit: number;
}

/** The taps of one router: registration, which taps apply to a name, sampling, and delivery. */
export class TapSet {
  readonly #taps = new Map<string, Tap>();
  readonly delivery: BackendDelivery;

  constructor(options: TapSetOptions) {
    this.delivery = new BackendDelivery({ ...options, kind: 'tap' });
  }

  get size(): number {
    return this.#taps.size;
  }

  /** Validates and registers a tap; throws `ROUTER_OPTIONS_INVALID` naming the bad field. */
  add(backend: RouterBackend, options: TapOptions): Tap {
    const result = z
      .strictObject({ backend: backendSchema, options: tapSchema })
      .safeParse({ backend, options });
    if (!result.success) {
      throw new RouterError('ROUTER_OPTIONS_INVALID', `Invalid tap: ${describeIssues(result.error.issues)}`);
    }
    const name = backend.name;
    if (this.#taps.has(name)) {
      throw new RouterError(
        'ROUTER_OPTIONS_INVALID',
        `A tap named "${name}" is already registered; remove it first`,
      );
    }
    const sources = [...new Set(result.data.options.events ?? ['**'])];
    const rate = result.data.options.samplingRate ?? 1;
    const key = result.data.options.samplingKey;
    const mappings = sources.map((source) =>
      createEventMapping({
        eventName: source,
        backends: [name],
        samplingRate: rate,
        ...(key === undefined ? {} : { samplingKey: key }),
        metadata: { tap: name },
      }),
    );
    const slot = this.delivery.fresh(name);
    slot.backend = backend;
    const tap: Tap = {
      name,
      patterns: sources.map(parseEventPattern),
      mappings,
      rate,
      threshold: samplingThreshold(rate),
      key,
      slot,
      sampledOut: 0,
    };
    this.#taps.set(name, tap);
    return tap;
  }

  /** Unregisters `tap`; false when it was already gone. Its pending promises stay tracked. */
  remove(tap: Tap): boolean {
    if (this.#taps.get(tap.name) !== tap) return false;
    this.#taps.delete(tap.name);
    this.delivery.forget(tap.name);
    return true;
  }

  /** The taps whose patterns match `eventName`, each with its first matching pattern's mapping. */
  routesFor(eventName: string): TapRoute[] | undefined {
    if (this.#taps.size === 0) return undefined;
    const segments = eventName.split('.');
    const routes: TapRoute[] = [];
    for (const tap of this.#taps.values()) {
      const index = tap.patterns.findIndex((p) => patternMatches(p, segments));
      if (index >= 0) routes.push({ tap, mapping: tap.mappings[index] as EventMapping });
    }
    return routes.length === 0 ? undefined : routes;
  }

  /** The tap's sampling decision for `payload`: the same consistent hash as mappings use. */
  keeps(tap: Tap, payload: unknown, random: () => number): boolean {
    if (tap.rate >= 1) return true;
    if (tap.key !== undefined && typeof payload === 'object' && payload !== null) {
      const value = (payload as Record<string, unknown>)[tap.key];
      if (value !== undefined && value !== null) {
        return samplingHash(typeof value === 'string' ? value : String(value)) < tap.threshold;
      }
    }
    return random() < tap.rate;
  }

  stats(): Record<string, TapStats> {
    const out: Record<string, TapStats> = {};
    for (const tap of this.#taps.values()) {
      const s = tap.slot;
      out[tap.name] = {
        events: tap.patterns.map((p) => p.source),
        samplingRate: tap.rate,
        handled: s.handled,
        sampledOut: tap.sampledOut,
        errors: s.errors,
        dropped: s.dropped,
        pending: s.pending,
      };
    }
    return out;
  }

  reset(): void {
    for (const tap of this.#taps.values()) tap.sampledOut = 0;
    this.delivery.reset();
  }
}
