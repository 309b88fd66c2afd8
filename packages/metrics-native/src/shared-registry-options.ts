import { z } from 'zod';
import { MetricsError } from './errors';
import type { CounterOptions, GaugeOptions, HistogramOptions, InstrumentConfig } from './instrument-options';
import { parseInstrumentOptions, seriesLimitField } from './instrument-options';
import { reservedNames } from './metric-name';
import { DEFAULT_SERIES_LIMIT } from './registry-options';
import { describeIssues, showValue } from './validation-message';

/**
 * An instrument of a shared registry, declared when the registry is made: its memory is laid
 * out once, in a buffer every thread sees. The options are those of `registry.counter()`,
 * `gauge()` and `histogram()`, less what cannot cross threads or live in shared memory: a
 * gauge's `collect` callback, `retention`, and `idleTtlMs` (shared series are never evicted).
 */
export type SharedInstrumentDeclaration =
  | ({ readonly type: 'counter' } & Omit<CounterOptions<string>, 'retention' | 'idleTtlMs'>)
  | ({ readonly type: 'gauge' } & Omit<GaugeOptions<string>, 'collect' | 'retention' | 'idleTtlMs'>)
  | ({ readonly type: 'histogram' } & Omit<HistogramOptions<string>, 'retention' | 'idleTtlMs'>);

/** Options of `createSharedRegistry`. */
export interface SharedRegistryOptions {
  /** The shared instruments. Others made later with `counter()` etc. stay in their thread. */
  readonly instruments: readonly SharedInstrumentDeclaration[];
  /**
   * Most threads attached at once, the creating thread included: each holds a lane of value
   * cells for counters and histograms. Default 16. Memory grows with it (see the README).
   */
  readonly maxThreads?: number;
  /** Room for the label values of each series, in UTF-16 characters of their JSON. Default 128. */
  readonly labelCharsPerSeries?: number;
  /** Series limit of instruments that do not set their own. Default 2000. */
  readonly defaultSeriesLimit?: number;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Where one-time warnings go (once per thread). Default `process.emitWarning`. */
  readonly warn?: (message: string) => void;
  /** Compile each instrument's label lookup (default true). */
  readonly compileLabelLookups?: boolean;
}

/** Options of `attachSharedRegistry`: what belongs to the attaching thread. */
export interface AttachSharedRegistryOptions {
  readonly now?: () => number;
  readonly warn?: (message: string) => void;
  readonly compileLabelLookups?: boolean;
}

/**
 * What a thread passes to another (through `workerData` or one `postMessage`) so that it can
 * attach: plain data and the buffer, both structured-cloneable. The buffer is shared, not copied.
 */
export interface SharedRegistryHandle {
  readonly kind: 'tasker.shared-registry';
  readonly version: 1;
  readonly buffer: SharedArrayBuffer;
  readonly instruments: readonly SharedInstrumentDeclaration[];
  readonly maxThreads: number;
  readonly labelCharsPerSeries: number;
  readonly defaultSeriesLimit: number;
}

/** The default most threads attached at once. */
export const DEFAULT_MAX_THREADS = 16;
/** The default room for one series' label values. */
export const DEFAULT_LABEL_CHARS_PER_SERIES = 128;

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
    error: (i) => `expected ${what}, received ${showValue(i.input)}`,
  });

const intBetween = (min: number, max: number) =>
  z.custom<number>((v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, {
    error: (i) => `expected an integer from ${min} to ${max}, received ${showValue(i.input)}`,
  });

const threadFields = {
  now: fn('a function returning epoch milliseconds').optional(),
  warn: fn('a function (message) => void').optional(),
  compileLabelLookups: z
    .boolean({ error: (i) => `expected true or false, received ${showValue(i.input)}` })
    .optional(),
};

const declarationSchema = z.looseObject(
  {
    type: z.enum(['counter', 'gauge', 'histogram'], {
      error: (i) => `expected "counter", "gauge" or "histogram", received ${showValue(i.input)}`,
    }),
  },
  { error: (i) => `expected an instrument declaration object, received ${showValue(i.input)}` },
);

const optionsSchema = z.strictObject(
  {
    instruments: z.array(declarationSchema, {
      error: (i) => `expected an array of instrument declarations, received ${showValue(i.input)}`,
    }),
    maxThreads: intBetween(1, 1024).optional(),
    labelCharsPerSeries: intBetween(8, 65_536).optional(),
    defaultSeriesLimit: seriesLimitField.optional(),
    ...threadFields,
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

const attachSchema = z.strictObject(threadFields, {
  error: (i) =>
    i.code === 'unrecognized_keys' ? undefined : `expected an options object, received ${showValue(i.input)}`,
});

/** Thread-local settings after defaults. */
export interface ThreadConfig {
  readonly now: () => number;
  readonly warn: (message: string) => void;
  readonly compileLabelLookups: boolean;
}

/** Shared-registry options after validation: the instruments' configs and the handle's fields. */
export interface SharedRegistryConfig extends ThreadConfig {
  readonly instruments: readonly SharedInstrumentDeclaration[];
  readonly configs: readonly InstrumentConfig[];
  readonly maxThreads: number;
  readonly labelCharsPerSeries: number;
  readonly defaultSeriesLimit: number;
}

function invalid(message: string): MetricsError {
  return new MetricsError('REGISTRY_OPTIONS_INVALID', message);
}

function threadConfig(o: {
  now?: unknown;
  warn?: unknown;
  compileLabelLookups?: boolean | undefined;
}): ThreadConfig {
  return {
    now: (o.now as (() => number) | undefined) ?? Date.now,
    warn: (o.warn as ((message: string) => void) | undefined) ?? defaultWarn,
    compileLabelLookups: o.compileLabelLookups ?? true,
  };
}

function defaultWarn(message: string): void {
  process.emitWarning(message, { code: 'TASKER_METRICS' });
}

/**
 * Validates the options of `createSharedRegistry`.
 *
 * @throws MetricsError `REGISTRY_OPTIONS_INVALID` naming each bad field,
 * `METRIC_OPTIONS_INVALID` for a bad instrument, `METRIC_CONFLICT` for two that clash.
 */
export function parseSharedRegistryOptions(input: SharedRegistryOptions): SharedRegistryConfig {
  const result = optionsSchema.safeParse(input);
  if (!result.success)
    throw invalid(`Invalid shared registry options: ${describeIssues(result.error.issues)}`);
  const o = result.data;
  const defaultSeriesLimit = o.defaultSeriesLimit ?? DEFAULT_SERIES_LIMIT;
  const configs = o.instruments.map((d, i) => parseDeclaration(d, i, defaultSeriesLimit));
  const owners = new Map<string, string>();
  for (const config of configs) {
    for (const name of reservedNames(config.type, config.name)) {
      const owner = owners.get(name);
      if (owner !== undefined) {
        throw new MetricsError(
          'METRIC_CONFLICT',
          `Shared ${config.type} "${config.name}" clashes with "${owner}": both would expose "${name}" in a scrape`,
        );
      }
      owners.set(name, config.name);
    }
  }
  return {
    ...threadConfig(o),
    // Plain data rebuilt from the configs, so the handle clones whatever the caller passed.
    instruments: configs.map(declarationOf),
    configs,
    maxThreads: o.maxThreads ?? DEFAULT_MAX_THREADS,
    labelCharsPerSeries: o.labelCharsPerSeries ?? DEFAULT_LABEL_CHARS_PER_SERIES,
    defaultSeriesLimit,
  };
}

/** Validates the thread-local options of `attachSharedRegistry`. */
export function parseAttachOptions(input: AttachSharedRegistryOptions | undefined): ThreadConfig {
  const result = attachSchema.safeParse(input ?? {});
  if (!result.success) throw invalid(`Invalid attach options: ${describeIssues(result.error.issues)}`);
  return threadConfig(result.data);
}

/** Rebuilds the configs of a handle made by `createSharedRegistry` in another thread. */
export function configsOfHandle(handle: SharedRegistryHandle): readonly InstrumentConfig[] {
  return handle.instruments.map((d, i) => parseDeclaration(d, i, handle.defaultSeriesLimit));
}

function parseDeclaration(declaration: unknown, index: number, seriesLimit: number): InstrumentConfig {
  const { type, ...options } = declaration as SharedInstrumentDeclaration & Record<string, unknown>;
  for (const field of ['collect', 'retention', 'idleTtlMs'] as const) {
    if (options[field] !== undefined) {
      throw new MetricsError(
        'METRIC_OPTIONS_INVALID',
        `Invalid shared ${type} "${String(options.name)}" (instruments[${index}]): ${field}: expected no ${field} in a shared registry (${
          field === 'collect'
            ? 'a function cannot cross threads; set the gauge from a thread instead'
            : field === 'retention'
              ? 'history is kept per thread; use an unshared instrument for it'
              : 'shared series are never evicted'
        })`,
      );
    }
  }
  return parseInstrumentOptions(type, options, { seriesLimit, idleTtlMs: Number.POSITIVE_INFINITY });
}

function declarationOf(config: InstrumentConfig): SharedInstrumentDeclaration {
  const common = {
    name: config.name,
    help: config.help,
    labelNames: [...config.labelNames],
    seriesLimit: config.seriesLimit,
    ...(config.unit === undefined ? {} : { unit: config.unit }),
  };
  return config.type === 'histogram'
    ? { type: 'histogram', ...common, buckets: [...config.buckets] }
    : { type: config.type, ...common };
}
