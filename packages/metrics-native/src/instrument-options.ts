import { z } from 'zod';
import { bucketsProblem, DEFAULT_BUCKETS, finiteBounds } from './buckets';
import { MetricsError } from './errors';
import type { Gauge } from './gauge';
import { labelNameProblem, type MetricType, metricNameProblem, unitProblem } from './metric-name';
import { DEFAULT_RETENTION, MAX_RETENTION_POINTS, type RetentionTier } from './retention-policy';
import { describeIssues, showValue } from './validation-message';

/** What every instrument accepts. */
export interface InstrumentOptions<L extends string> {
  /** The metric name, e.g. `http_requests_total` or `http_request_duration_seconds`. */
  readonly name: string;
  /** One line that says what the metric measures (the `# HELP` text). */
  readonly help: string;
  /** Label names, fixed for the instrument's life. Default: none. */
  readonly labelNames?: readonly L[];
  /** The unit, which must be the suffix of the name (without `_total`), e.g. `seconds`. */
  readonly unit?: string;
  /** Most series (label sets) kept; past it, new label sets fold into one overflow series. Default: the registry's `defaultSeriesLimit`. */
  readonly seriesLimit?: number;
  /** A labelled series not updated for this long is evicted on collect. Default: the registry's `idleTtlMs`. */
  readonly idleTtlMs?: number;
  /** Rolled-up history: `true` for {@link DEFAULT_RETENTION}, or a list of tiers. Default: `false`. */
  readonly retention?: boolean | readonly RetentionTier[];
}

/** Options of `registry.counter(...)`. The name ends in `_total`. */
export interface CounterOptions<L extends string = never> extends InstrumentOptions<L> {}

/** Options of `registry.gauge(...)`. */
export interface GaugeOptions<L extends string = never> extends InstrumentOptions<L> {
  /**
   * Called at each collect, before the snapshot is taken, to set values read at scrape time
   * (a queue length, a pool size). It must be synchronous; a throw is caught, counted and
   * warned about once.
   */
  readonly collect?: (gauge: Gauge<L>) => void;
}

/** Options of `registry.histogram(...)`. */
export interface HistogramOptions<L extends string = never> extends InstrumentOptions<L> {
  /** Upper bounds, strictly increasing; `+Inf` is added. Default: {@link DEFAULT_BUCKETS}. */
  readonly buckets?: readonly number[];
}

/** An instrument's options after validation and defaults: frozen, compared on re-registration. */
export interface InstrumentConfig {
  readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  /** Histogram bounds without `+Inf`; empty for counters and gauges. */
  readonly buckets: readonly number[];
  readonly seriesLimit: number;
  readonly idleTtlMs: number;
  /** Empty when retention is off. */
  readonly retention: readonly RetentionTier[];
  readonly collect: ((gauge: never) => void) | undefined;
}

/** Registry-wide defaults an instrument falls back to. */
export interface InstrumentDefaults {
  readonly seriesLimit: number;
  readonly idleTtlMs: number;
}

const positiveInt = (what: string) =>
  z
    .number({ error: (i) => `expected ${what}, received ${showValue(i.input)}` })
    .int({ error: (i) => `expected ${what}, received ${showValue(i.input)}` })
    .positive({ error: (i) => `expected ${what}, received ${showValue(i.input)}` });

/** A positive number of milliseconds, `Infinity` included (never). */
export const ttlField = z.custom<number>((v) => typeof v === 'number' && v > 0, {
  error: (i) => `expected a positive number of milliseconds (or Infinity), received ${showValue(i.input)}`,
});

/** A series limit: a positive integer. */
export const seriesLimitField = positiveInt('a positive integer');

const tierSchema = z.strictObject(
  {
    resolutionMs: positiveInt('a positive integer of milliseconds'),
    points: positiveInt(`an integer from 1 to ${MAX_RETENTION_POINTS}`).max(MAX_RETENTION_POINTS, {
      error: (i) => `expected an integer from 1 to ${MAX_RETENTION_POINTS}, received ${showValue(i.input)}`,
    }),
  },
  { error: (i) => `expected { resolutionMs, points }, received ${showValue(i.input)}` },
);

const tiersSchema = z
  .array(tierSchema)
  .min(1, { error: 'expected at least one tier (or false)' })
  .check((ctx) => {
    for (let i = 1; i < ctx.value.length; i++) {
      const previous = (ctx.value[i - 1] as RetentionTier).resolutionMs;
      const current = (ctx.value[i] as RetentionTier).resolutionMs;
      if (!(current > previous)) {
        ctx.issues.push({
          code: 'custom',
          input: current,
          path: [i, 'resolutionMs'],
          message: `expected tiers from finest to coarsest, received ${current} after ${previous}`,
        });
      }
    }
  });

// Not z.union: a union reports one message for the whole field, not the tier that is wrong.
const retentionField = z.unknown().check((ctx) => {
  const value = ctx.value;
  if (typeof value === 'boolean') return;
  if (!Array.isArray(value)) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `expected true, false or a list of { resolutionMs, points } tiers, received ${showValue(value)}`,
    });
    return;
  }
  const result = tiersSchema.safeParse(value);
  if (result.success) return;
  for (const issue of result.error.issues) {
    ctx.issues.push({ code: 'custom', input: value, path: issue.path, message: issue.message });
  }
});

function schemaFor(type: MetricType) {
  const fields = {
    name: z
      .string({ error: (i) => `expected a metric name string, received ${showValue(i.input)}` })
      .check((ctx) => {
        const problem = metricNameProblem(type, ctx.value);
        if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      }),
    help: z
      .string({ error: (i) => `expected a description string, received ${showValue(i.input)}` })
      .min(1, { error: 'expected a non-empty description' }),
    labelNames: z
      .array(
        z
          .string({ error: (i) => `expected a label name string, received ${showValue(i.input)}` })
          .check((ctx) => {
            const problem = labelNameProblem(type, ctx.value);
            if (problem !== undefined)
              ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
          }),
        { error: (i) => `expected an array of label names, received ${showValue(i.input)}` },
      )
      .check((ctx) => {
        const seen = new Set<string>();
        for (const [i, label] of ctx.value.entries()) {
          if (seen.has(label)) {
            ctx.issues.push({
              code: 'custom',
              input: label,
              path: [i],
              message: `label "${label}" is declared twice`,
            });
          }
          seen.add(label);
        }
      })
      .optional(),
    unit: z.string({ error: (i) => `expected a unit string, received ${showValue(i.input)}` }).optional(),
    seriesLimit: seriesLimitField.optional(),
    idleTtlMs: ttlField.optional(),
    retention: retentionField.optional(),
  };
  const extra =
    type === 'histogram'
      ? {
          buckets: z
            .array(
              z
                .number({ error: (i) => `expected a number, received ${showValue(i.input)}` })
                .or(z.literal(Infinity)),
              {
                error: (i) => `expected an array of numbers, received ${showValue(i.input)}`,
              },
            )
            .check((ctx) => {
              const problem = bucketsProblem(ctx.value);
              if (problem !== undefined)
                ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
            })
            .optional(),
        }
      : type === 'gauge'
        ? {
            collect: z
              .custom<(gauge: never) => void>((v) => typeof v === 'function', {
                error: (i) => `expected a function (gauge) => void, received ${showValue(i.input)}`,
              })
              .optional(),
          }
        : {};
  return z
    .strictObject(
      { ...fields, ...extra },
      {
        error: (i) =>
          i.code === 'unrecognized_keys'
            ? undefined
            : `expected an options object, received ${showValue(i.input)}`,
      },
    )
    .check((ctx) => {
      const { name, unit } = ctx.value as { name: string; unit?: string };
      if (unit === undefined) return;
      const problem = unitProblem(type, name, unit);
      if (problem !== undefined)
        ctx.issues.push({ code: 'custom', message: problem, input: unit, path: ['unit'] });
    });
}

const schemas = {
  counter: schemaFor('counter'),
  gauge: schemaFor('gauge'),
  histogram: schemaFor('histogram'),
} as const;

interface ParsedOptions {
  name: string;
  help: string;
  labelNames?: string[];
  unit?: string;
  seriesLimit?: number;
  idleTtlMs?: number;
  retention?: boolean | RetentionTier[];
  buckets?: number[];
  collect?: (gauge: never) => void;
}

/**
 * Validates instrument options and returns a frozen {@link InstrumentConfig}.
 *
 * @throws MetricsError `METRIC_OPTIONS_INVALID`, naming each bad field and what was expected.
 */
export function parseInstrumentOptions(
  type: MetricType,
  input: unknown,
  defaults: InstrumentDefaults,
): InstrumentConfig {
  const result = schemas[type].safeParse(input);
  if (!result.success) {
    const name =
      typeof input === 'object' && input !== null && typeof (input as { name?: unknown }).name === 'string'
        ? ` "${(input as { name: string }).name}"`
        : '';
    throw new MetricsError(
      'METRIC_OPTIONS_INVALID',
      `Invalid ${type}${name}: ${describeIssues(result.error.issues)}`,
    );
  }
  const o = result.data as ParsedOptions;
  const retention =
    o.retention === true
      ? DEFAULT_RETENTION
      : o.retention === undefined || o.retention === false
        ? []
        : o.retention.map((t) => Object.freeze({ resolutionMs: t.resolutionMs, points: t.points }));
  return Object.freeze({
    type,
    name: o.name,
    help: o.help,
    unit: o.unit,
    labelNames: Object.freeze([...(o.labelNames ?? [])]),
    buckets: Object.freeze(type === 'histogram' ? [...finiteBounds(o.buckets ?? DEFAULT_BUCKETS)] : []),
    seriesLimit: o.seriesLimit ?? defaults.seriesLimit,
    idleTtlMs: o.idleTtlMs ?? defaults.idleTtlMs,
    retention: Object.freeze(retention),
    collect: o.collect,
  });
}

/**
 * How `next` differs from `existing` (both of the same name), or undefined when they have the
 * same shape and registering `next` may return the existing instrument.
 */
export function shapeDifference(existing: InstrumentConfig, next: InstrumentConfig): string | undefined {
  const list = (values: readonly unknown[]) => `[${values.map((v) => showValue(v)).join(', ')}]`;
  const sameList = (a: readonly unknown[], b: readonly unknown[]) =>
    a.length === b.length && a.every((v, i) => v === b[i]);
  if (existing.type !== next.type) return `it is a ${existing.type}, not a ${next.type}`;
  if (!sameList(existing.labelNames, next.labelNames)) {
    return `its labelNames are ${list(existing.labelNames)}, not ${list(next.labelNames)}`;
  }
  if (existing.help !== next.help)
    return `its help is ${showValue(existing.help)}, not ${showValue(next.help)}`;
  if (existing.unit !== next.unit)
    return `its unit is ${showValue(existing.unit)}, not ${showValue(next.unit)}`;
  if (!sameList(existing.buckets, next.buckets)) {
    return `its buckets are ${list(existing.buckets)}, not ${list(next.buckets)}`;
  }
  if (existing.seriesLimit !== next.seriesLimit) {
    return `its seriesLimit is ${existing.seriesLimit}, not ${next.seriesLimit}`;
  }
  if (existing.idleTtlMs !== next.idleTtlMs)
    return `its idleTtlMs is ${existing.idleTtlMs}, not ${next.idleTtlMs}`;
  const tiers = (r: readonly RetentionTier[]) =>
    r.map((t) => `${t.points}×${t.resolutionMs}ms`).join(', ') || 'off';
  if (tiers(existing.retention) !== tiers(next.retention)) {
    return `its retention is ${tiers(existing.retention)}, not ${tiers(next.retention)}`;
  }
  if (existing.collect !== next.collect) return 'its collect callback is a different function';
  return undefined;
}
