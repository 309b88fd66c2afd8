import { z } from 'zod';
import { MetricsError } from './errors';
import { seriesLimitField, ttlField } from './instrument-options';
import { describeIssues, showValue } from './validation-message';

/** The default most series per instrument. */
export const DEFAULT_SERIES_LIMIT = 2000;

/** Options of {@link createRegistry}. Every field is optional. */
export interface RegistryOptions {
  /** Most series (label sets) per instrument, unless the instrument sets its own. Default: 2000. */
  readonly defaultSeriesLimit?: number;
  /**
   * A labelled series not updated for longer than this is evicted on collect, unless the
   * instrument sets its own. Default: `Infinity` (never): a gauge set once at start-up would
   * otherwise vanish.
   */
  readonly idleTtlMs?: number;
  /** The clock, in epoch milliseconds: created timestamps, exemplars, eviction, retention. Default: `Date.now`. */
  readonly now?: () => number;
  /** Where one-time warnings about dropped updates go. Default: `process.emitWarning`. */
  readonly warn?: (message: string) => void;
  /**
   * Compile each instrument's label lookup (default: true). With false, or where code
   * generation is disallowed, a generic lookup does the same work more slowly.
   */
  readonly compileLabelLookups?: boolean;
}

/** Registry options after validation and defaults. */
export interface RegistryConfig {
  readonly defaultSeriesLimit: number;
  readonly idleTtlMs: number;
  readonly now: () => number;
  readonly warn: (message: string) => void;
  readonly compileLabelLookups: boolean;
}

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
    error: (i) => `expected ${what}, received ${showValue(i.input)}`,
  });

const optionsSchema = z.strictObject(
  {
    defaultSeriesLimit: seriesLimitField.optional(),
    idleTtlMs: ttlField.optional(),
    now: fn('a function returning epoch milliseconds').optional(),
    warn: fn('a function (message) => void').optional(),
    compileLabelLookups: z
      .boolean({ error: (i) => `expected true or false, received ${showValue(i.input)}` })
      .optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'TASKER_METRICS' });
}

/**
 * Validates registry options and fills in defaults.
 *
 * @throws MetricsError `REGISTRY_OPTIONS_INVALID`, naming each bad field.
 */
export function parseRegistryOptions(input: RegistryOptions | undefined): RegistryConfig {
  const result = optionsSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new MetricsError(
      'REGISTRY_OPTIONS_INVALID',
      `Invalid registry options: ${describeIssues(result.error.issues)}`,
    );
  }
  const o = result.data;
  return Object.freeze({
    defaultSeriesLimit: o.defaultSeriesLimit ?? DEFAULT_SERIES_LIMIT,
    idleTtlMs: o.idleTtlMs ?? Number.POSITIVE_INFINITY,
    now: (o.now as (() => number) | undefined) ?? Date.now,
    warn: (o.warn as ((message: string) => void) | undefined) ?? defaultWarn,
    compileLabelLookups: o.compileLabelLookups ?? true,
  });
}
