/**
 * Flow control in a definition (issue #14): a priority, a concurrency limit and a rate limit,
 * on the task (for every step) or on a step (its own, in place of the task's).
 *
 * A limit's `key` is a constant (`"billing"`: one limit for every step that names it, such as a
 * per-namespace limit) or a path into the task's context (`"context.customerId"`: one limit per
 * value, `context.customerId=42`). Keys are shared by every definition that names them.
 */
import { z } from 'zod';
import { TaskerError } from '../errors';
import { showValue } from '../validation-message';

/** The longest delay a submit may ask for: about ten years. */
export const MAX_DELAY_MS = 10 * 366 * 86_400_000;

/** The lowest and highest priority. */
export const MIN_PRIORITY = -1000;
export const MAX_PRIORITY = 1000;

/** At most `limit` steps with the same key in progress at once, across every worker. */
export interface ConcurrencyLimit {
  /** A constant, or `context.<path>` for one limit per value. */
  readonly key: string;
  readonly limit: number;
}

/** At most `limit` step starts per `periodMs` with the same key, and `burst` more at once. */
export interface RateLimit {
  readonly key: string;
  readonly limit: number;
  /** Default 1000 (a limit per second). */
  readonly periodMs?: number;
  /** Starts allowed at once beyond the rate; any window of one period holds at most limit + burst. Default 0. */
  readonly burst?: number;
}

/** The flow-control settings a task or a step may carry. */
export interface FlowControlInput {
  /** Higher is claimed first (an integer from -1000 to 1000). Default 0. */
  readonly priority?: number;
  readonly concurrency?: ConcurrencyLimit;
  readonly rateLimit?: RateLimit;
}

const expected = (what: string) => (i: { input: unknown }) =>
  `expected ${what}, received ${showValue(i.input)}`;

const limitKey = z
  .string({ error: expected('a key: a constant or "context.<path>"') })
  .min(1, { error: expected('a key: a constant or "context.<path>"') })
  .max(200, { error: expected('a key of at most 200 characters') })
  .refine((k) => !k.startsWith('context.') || /^context(\.[^.]+)+$/.test(k), {
    error: expected('a context path such as "context.customerId"'),
  });

const positiveInt = (what: string) =>
  z
    .number({ error: expected(what) })
    .int({ error: expected(what) })
    .positive({ error: expected(what) });

export const prioritySchema = z
  .number({ error: expected(`an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`) })
  .int({ error: expected(`an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`) })
  .min(MIN_PRIORITY, { error: expected(`an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`) })
  .max(MAX_PRIORITY, { error: expected(`an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`) });

export const concurrencySchema = z.strictObject(
  {
    key: limitKey,
    limit: positiveInt('a positive integer').max(100_000, { error: expected('at most 100000') }),
  },
  { error: expected('an object { key, limit }') },
);

const rateFields = {
  key: limitKey,
  limit: positiveInt('a positive integer (starts per period)').max(1_000_000, {
    error: expected('at most 1000000'),
  }),
  periodMs: positiveInt('a positive integer (ms)')
    .max(86_400_000, { error: expected('at most 86400000 (a day)') })
    .default(1000),
  burst: z
    .number({ error: expected('an integer ≥ 0') })
    .int({ error: expected('an integer ≥ 0') })
    .min(0, { error: expected('an integer ≥ 0') })
    .max(1_000_000, { error: expected('at most 1000000') })
    .default(0),
};

export const rateLimitSchema = z.strictObject(rateFields, {
  error: expected('an object { key, limit, periodMs?, burst? }'),
});

/** The flow-control keys of a YAML definition (the original's snake_case layout), on a task or a step. */
export const yamlFlowControlFields = {
  priority: prioritySchema.optional(),
  concurrency: concurrencySchema.optional(),
  rate_limit: z
    .strictObject(
      {
        key: rateFields.key,
        limit: rateFields.limit,
        period_ms: rateFields.periodMs,
        burst: rateFields.burst,
      },
      { error: expected('an object { key, limit, period_ms?, burst? }') },
    )
    .transform((r) => ({ key: r.key, limit: r.limit, periodMs: r.period_ms, burst: r.burst }))
    .optional(),
};

/** A YAML definition's flow-control keys as `defineTask` takes them. */
export function flowControlFromYaml(v: {
  priority?: number | undefined;
  concurrency?: ConcurrencyLimit | undefined;
  rate_limit?: Required<RateLimit> | undefined;
}): FlowControlInput {
  return {
    ...(v.priority === undefined ? {} : { priority: v.priority }),
    ...(v.concurrency === undefined ? {} : { concurrency: v.concurrency }),
    ...(v.rate_limit === undefined ? {} : { rateLimit: v.rate_limit }),
  };
}

/** The zod fields of {@link FlowControlInput}, for the task's and the step's schemas. */
export const flowControlFields = {
  priority: prioritySchema.optional(),
  concurrency: concurrencySchema.optional(),
  rateLimit: rateLimitSchema.optional(),
};

/** A validated rate limit, defaults applied. */
export type RateLimitSpec = Required<RateLimit>;

/** A step's flow control, resolved from its own settings and its task's. */
export interface FlowControl {
  /** The step's own priority; undefined: the task's (as submitted, else its definition's). */
  readonly priority: number | undefined;
  readonly concurrency: ConcurrencyLimit | undefined;
  readonly rateLimit: RateLimitSpec | undefined;
}

/** A step's own limits win over its task's, each on its own; its priority is its own only. */
export function mergeFlowControl(
  task: { concurrency?: ConcurrencyLimit; rateLimit?: RateLimitSpec },
  step: { priority?: number; concurrency?: ConcurrencyLimit; rateLimit?: RateLimitSpec },
): FlowControl {
  const freeze = <T extends object>(v: T | undefined) =>
    v === undefined ? undefined : Object.freeze({ ...v });
  return Object.freeze({
    priority: step.priority,
    concurrency: freeze(step.concurrency ?? task.concurrency),
    rateLimit: freeze(step.rateLimit ?? task.rateLimit),
  });
}

/**
 * The key a limit applies to for one task: the constant itself, or `context.<path>=<value>` with
 * the value found at the path of `context` (a string, a number or a boolean).
 *
 * @throws TaskerError `CONTEXT_INVALID` naming the path when the context has no such value.
 */
export function resolveLimitKey(key: string, context: unknown, what: string, taskKey: string): string {
  if (!key.startsWith('context.')) return key;
  let value: unknown = context;
  for (const part of key.split('.').slice(1)) {
    value =
      typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, part)
        ? (value as Record<string, unknown>)[part]
        : undefined;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return `${key}=${String(value)}`;
  throw new TaskerError(
    'CONTEXT_INVALID',
    `Invalid context for task ${taskKey}: ${key.slice('context.'.length)}: the ${what} key ${key} needs a string, number or boolean there, received ${showValue(value)}`,
  );
}
