/**
 * `defineTask`: a task definition in TypeScript, validated with zod before anything runs —
 * semver version, unique step names, unknown dependencies, cycles (with their path), skippable
 * and retry settings — and returned frozen with every default applied.
 */
import semver from 'semver';
import { z } from 'zod';
import type { BackoffOverride } from '../engine/backoff';
import { TaskerError } from '../errors';
import type { StepHandler } from '../handlers/step-handler';
import { describeIssues, showValue } from '../validation-message';
import { type ContextSchema, type ContextValidator, compileContextSchema } from './context-schema';
import { findCycle, findUnknownDependency, topologicalOrder } from './dag';
import { type FlowControl, type FlowControlInput, flowControlFields, mergeFlowControl } from './flow-control';
import { type ScheduleInput, type ScheduleTiming, scheduleInputSchema } from './schedule-spec';

/** A custom event a step may emit; registered with the router with the definition. */
export interface CustomEventInput {
  readonly name: string;
  readonly description?: string;
  readonly firedBy?: readonly string[];
}

/**
 * One step of a task, as written by the user. Its `priority`, `concurrency` and `rateLimit`
 * (see {@link FlowControlInput}) replace the task's, each on its own.
 */
export interface StepTemplateInput extends FlowControlInput {
  readonly name: string;
  /** The handler function, or its name in the engine's handler map. */
  readonly handler: StepHandler | string;
  readonly description?: string;
  /** Names of the steps that must be satisfied (complete, resolved or skipped) first. */
  readonly dependsOn?: readonly string[];
  /** Default true. False: the first failure is final. */
  readonly retryable?: boolean;
  /** How many times a failed step is retried (default 3, so at most 4 attempts). */
  readonly retryLimit?: number;
  /** Aborts the handler's signal and fails the attempt (retryably) after this many ms. */
  readonly timeoutMs?: number;
  /** May be bypassed at submit (`bypassSteps`). Default false. */
  readonly skippable?: boolean;
  readonly handlerConfig?: Readonly<Record<string, unknown>>;
  readonly customEvents?: readonly CustomEventInput[];
  /** Overrides the task's and the engine's backoff for this step. */
  readonly backoff?: BackoffOverride;
  /**
   * The queue this step is claimed from; default the task's. Only workers that take this
   * queue (`execution.queues`) run it, e.g. `gpu` for steps that need a GPU box.
   */
  readonly queue?: string;
}

/**
 * What `defineTask` accepts. `priority`, `concurrency` and `rateLimit` (see
 * {@link FlowControlInput}) apply to every step that does not set its own.
 */
export interface TaskDefinitionInput extends FlowControlInput {
  /** Default `default`, as in the original. */
  readonly namespace?: string;
  readonly name: string;
  /** A semver version; default `0.1.0`, as in the original. */
  readonly version?: string;
  readonly description?: string;
  /** A zod schema or a JSON Schema object for the task context. */
  readonly contextSchema?: ContextSchema;
  readonly steps: readonly StepTemplateInput[];
  /** Overrides the engine's backoff for every step of this task. */
  readonly backoff?: BackoffOverride;
  /** The queue of this task's steps (each may name its own). Default `default`. */
  readonly queue?: string;
  /** Cron schedules that submit this task (see the README's "Schedules"). */
  readonly schedules?: readonly ScheduleInput[];
}

/** A validated step template, defaults applied. */
export interface StepTemplate {
  readonly name: string;
  readonly handler: StepHandler | string;
  readonly description: string | undefined;
  readonly dependsOn: readonly string[];
  readonly retryable: boolean;
  readonly retryLimit: number;
  readonly timeoutMs: number | undefined;
  readonly skippable: boolean;
  readonly handlerConfig: Readonly<Record<string, unknown>>;
  readonly customEvents: readonly Required<CustomEventInput>[];
  readonly backoff: BackoffOverride | undefined;
  /** The queue it is claimed from (its own, or its task's). */
  readonly queue: string;
  /** Its priority, concurrency limit and rate limit (its own, or its task's). */
  readonly flow: FlowControl;
}

/** A validated, frozen task definition. */
export interface TaskDefinition {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  /** `namespace.name@version`. */
  readonly key: string;
  readonly description: string | undefined;
  /** Steps in topological order (parents first). */
  readonly steps: readonly StepTemplate[];
  readonly backoff: BackoffOverride | undefined;
  /** The task's queue (a step may name another). */
  readonly queue: string;
  /** The task's default priority (a submit may give another); undefined: 0. */
  readonly priority: number | undefined;
  readonly contextSchema: ContextSchema | undefined;
  /** Validates a context; the message names the offending field. */
  readonly validateContext: ContextValidator;
  /** Its schedules, named, defaults applied, contexts validated. */
  readonly schedules: readonly ScheduleTiming[];
}

const expected = (what: string) => (i: { input: unknown }) =>
  `expected ${what}, received ${showValue(i.input)}`;
const identifier = z.string({ error: expected('a string') }).regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, {
  error: expected('a name of letters, digits, "_", ".", ":" or "-"'),
});

const backoffSchema = z.strictObject({
  delaysMs: z
    .array(z.number().int().nonnegative(), { error: expected('an array of integer delays (ms) ≥ 0') })
    .optional(),
  maxDelayMs: z
    .number({ error: expected('an integer (ms) ≥ 0') })
    .int()
    .nonnegative()
    .optional(),
  jitter: z
    .number({ error: expected('a number from 0 to 1') })
    .min(0)
    .max(1)
    .optional(),
});

const customEventSchema = z.strictObject({
  name: z.string({ error: expected('a dotted event name') }).regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/, {
    error: expected('a dotted event name such as "shop.order_fulfilled"'),
  }),
  description: z.string().default(''),
  firedBy: z.array(z.string()).default([]),
});

const stepSchema = z.strictObject({
  name: identifier,
  handler: z.custom<StepHandler | string>(
    (v) => typeof v === 'function' || (typeof v === 'string' && v.length > 0),
    {
      error: expected('a function or a handler name'),
    },
  ),
  description: z.string().optional(),
  dependsOn: z.array(z.string(), { error: expected('an array of step names') }).default([]),
  retryable: z.boolean({ error: expected('a boolean') }).default(true),
  retryLimit: z
    .number({ error: expected('an integer ≥ 0') })
    .int({ error: expected('an integer ≥ 0') })
    .min(0, {
      error: expected('an integer ≥ 0'),
    })
    .default(3),
  timeoutMs: z
    .number({ error: expected('a positive integer (ms)') })
    .int()
    .positive({ error: expected('a positive integer (ms)') })
    .optional(),
  skippable: z.boolean({ error: expected('a boolean') }).default(false),
  handlerConfig: z.record(z.string(), z.unknown(), { error: expected('an object') }).default({}),
  customEvents: z.array(customEventSchema).default([]),
  backoff: backoffSchema.optional(),
  queue: identifier.optional(),
  ...flowControlFields,
});

const taskSchema = z.strictObject({
  namespace: identifier.default('default'),
  name: identifier,
  version: z
    .string({ error: expected('a semver version') })
    .refine((v) => semver.valid(v) === v, { error: expected('a semver version such as "1.0.0"') })
    .default('0.1.0'),
  description: z.string().optional(),
  contextSchema: z
    .custom<ContextSchema>((v) => typeof v === 'object' && v !== null, {
      error: expected('a zod schema or a JSON Schema object'),
    })
    .optional(),
  steps: z
    .array(stepSchema, { error: expected('an array of step templates') })
    .min(1, { error: 'expected at least one step' }),
  backoff: backoffSchema.optional(),
  queue: identifier.default('default'),
  ...flowControlFields,
  schedules: z
    .array(scheduleInputSchema, { error: expected('an array of schedules') })
    .max(100, { error: 'expected at most 100 schedules' })
    .default([]),
});

/**
 * Validates and freezes a task definition.
 *
 * @throws TaskerError `DEFINITION_INVALID` (a field, a duplicate step, an unknown dependency,
 *   a skippable root, a bad JSON Schema) or `DEFINITION_CYCLE` (the message holds the path).
 * @example
 * ```ts
 * const checkout = defineTask({
 *   namespace: 'shop',
 *   name: 'checkout',
 *   version: '1.0.0',
 *   contextSchema: z.object({ orderId: z.string() }),
 *   steps: [
 *     { name: 'reserve', handler: async ({ context }) => reserve(context.orderId) },
 *     { name: 'charge', handler: 'charge_card', dependsOn: ['reserve'], retryLimit: 5 },
 *   ],
 * });
 * ```
 */
export function defineTask(input: TaskDefinitionInput): TaskDefinition {
  const parsed = taskSchema.safeParse(input);
  const label = describeTask(input);
  if (!parsed.success) {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Invalid task definition ${label}: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const data = parsed.data;
  const key = `${data.namespace}.${data.name}@${data.version}`;
  const seen = new Set<string>();
  for (const step of data.steps) {
    if (seen.has(step.name)) {
      throw new TaskerError(
        'DEFINITION_INVALID',
        `Invalid task definition ${key}: step "${step.name}" is defined twice`,
      );
    }
    seen.add(step.name);
  }
  const unknown = findUnknownDependency(data.steps);
  if (unknown !== undefined) {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Invalid task definition ${key}: step "${unknown[0]}" depends on unknown step "${unknown[1]}"`,
    );
  }
  const cycle = findCycle(data.steps);
  if (cycle !== undefined) {
    throw new TaskerError(
      'DEFINITION_CYCLE',
      `Invalid task definition ${key}: dependency cycle ${cycle.join(' → ')}`,
    );
  }
  let validateContext: ContextValidator;
  try {
    validateContext = compileContextSchema(data.contextSchema);
  } catch (error) {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Invalid task definition ${key}: contextSchema: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const schedules = definitionSchedules(key, data.namespace, data.name, data.schedules, validateContext);
  const byName = new Map(data.steps.map((s) => [s.name, s]));
  const steps = topologicalOrder(data.steps).map((name) => {
    const s = byName.get(name)!;
    return Object.freeze({
      name: s.name,
      handler: s.handler as StepHandler | string,
      description: s.description,
      dependsOn: Object.freeze([...new Set(s.dependsOn)]),
      retryable: s.retryable,
      retryLimit: s.retryable ? s.retryLimit : 0,
      timeoutMs: s.timeoutMs,
      skippable: s.skippable,
      handlerConfig: Object.freeze({ ...s.handlerConfig }),
      customEvents: Object.freeze(
        s.customEvents.map((e) => Object.freeze({ ...e, firedBy: Object.freeze(e.firedBy) })),
      ),
      backoff: s.backoff === undefined ? undefined : Object.freeze({ ...s.backoff }),
      queue: s.queue ?? data.queue,
      flow: mergeFlowControl(data, s),
    } satisfies StepTemplate);
  });
  return Object.freeze({
    namespace: data.namespace,
    name: data.name,
    version: data.version,
    key,
    description: data.description,
    steps: Object.freeze(steps),
    backoff: data.backoff === undefined ? undefined : Object.freeze({ ...data.backoff }),
    queue: data.queue,
    priority: data.priority,
    contextSchema: data.contextSchema,
    validateContext,
    schedules,
  });
}

/**
 * Names a definition's schedules (one unnamed schedule takes `<namespace>.<name>`), refuses a
 * name used twice, and validates each context against the task's schema.
 */
function definitionSchedules(
  key: string,
  namespace: string,
  name: string,
  input: readonly (Omit<ScheduleTiming, 'name' | 'context'> & { name?: string; context?: unknown })[],
  validateContext: ContextValidator,
): readonly ScheduleTiming[] {
  const seen = new Set<string>();
  const out = input.map((s, i) => {
    if (s.name === undefined && input.length > 1) {
      throw new TaskerError(
        'DEFINITION_INVALID',
        `Invalid task definition ${key}: schedules.${i}.name: expected a name (a definition with several schedules names each)`,
      );
    }
    const scheduleName = s.name ?? `${namespace}.${name}`;
    if (seen.has(scheduleName)) {
      throw new TaskerError(
        'DEFINITION_INVALID',
        `Invalid task definition ${key}: schedules.${i}.name: schedule "${scheduleName}" is defined twice`,
      );
    }
    seen.add(scheduleName);
    const context = validateContext(s.context ?? {});
    if (!context.ok) {
      throw new TaskerError(
        'DEFINITION_INVALID',
        `Invalid task definition ${key}: ${context.message
          .split('; ')
          .map((m) => `schedules.${i}.${m}`)
          .join('; ')}`,
      );
    }
    return Object.freeze({
      name: scheduleName,
      cron: s.cron,
      timezone: s.timezone,
      context: context.value,
      catchUp: s.catchUp,
      catchUpLimit: s.catchUpLimit,
    });
  });
  return Object.freeze(out);
}

function describeTask(input: TaskDefinitionInput): string {
  const o = (typeof input === 'object' && input !== null ? input : {}) as Partial<TaskDefinitionInput>;
  return `${typeof o.namespace === 'string' ? o.namespace : 'default'}.${typeof o.name === 'string' ? o.name : '?'}@${typeof o.version === 'string' ? o.version : '0.1.0'}`;
}
