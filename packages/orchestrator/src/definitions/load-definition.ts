/**
 * Loads task definitions from YAML or JSON in the original Tasker's layout:
 *
 * ```yaml
 * name: checkout
 * namespace_name: shop
 * version: 1.0.0
 * schema: { type: object, required: [order_id], properties: { order_id: { type: string } } }
 * step_templates:
 *   - name: reserve
 *     handler_class: Shop::ReserveHandler
 *   - name: charge
 *     depends_on_step: reserve
 *     handler_class: Shop::ChargeHandler
 *     default_retry_limit: 5
 *     handler_config: { url: https://pay.example/charge }
 *     rate_limit: { key: payments-api, limit: 20, period_ms: 1000, burst: 5 }
 * priority: 10
 * concurrency: { key: context.order_id, limit: 1 }
 * schedules:                     # optional (issue #14)
 *   - name: nightly-checkout
 *     cron: 0 30 2 * * *         # 5 fields, or 6 with seconds first
 *     timezone: Europe/Berlin    # default UTC
 *     context: { order_id: batch }
 *     catch_up: latest           # none, latest (default) or all
 *     catch_up_limit: 100        # with all: the most recent missed slots that fire
 * ```
 *
 * `priority`, `concurrency` and `rate_limit` (issue #14) may be set on the task, for every
 * step, and on a step, in place of the task's.
 *
 * Handlers are named by string (`handler_class`) and resolved through the handler map passed
 * in; an unknown name fails here, at load time. The context `schema` is a JSON Schema checked
 * by Ajv. The result goes through `defineTask`, so every check of TypeScript definitions
 * applies too.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TaskerError } from '../errors';
import type { HandlerMap } from '../handlers/step-handler';
import { describeIssues, showValue } from '../validation-message';
import { defineTask, type StepTemplateInput, type TaskDefinition } from './define-task';
import { flowControlFromYaml, yamlFlowControlFields } from './flow-control';
import {
  catchUpLimitSchema,
  catchUpSchema,
  cronSchema,
  refineCron,
  scheduleNameSchema,
  timezoneSchema,
} from './schedule-spec';

const expected = (what: string) => (i: { input: unknown }) =>
  `expected ${what}, received ${showValue(i.input)}`;

const stepTemplateSchema = z.strictObject({
  name: z.string({ error: expected('a string') }),
  description: z.string().optional(),
  handler_class: z.string({ error: expected('a handler name') }),
  handler_config: z.record(z.string(), z.unknown(), { error: expected('an object') }).optional(),
  depends_on_step: z.string({ error: expected('a step name') }).optional(),
  depends_on_steps: z.array(z.string(), { error: expected('an array of step names') }).optional(),
  default_retryable: z.boolean({ error: expected('a boolean') }).optional(),
  default_retry_limit: z.number({ error: expected('an integer ≥ 0') }).optional(),
  skippable: z.boolean({ error: expected('a boolean') }).optional(),
  timeout_ms: z.number({ error: expected('a positive integer (ms)') }).optional(),
  custom_events: z
    .array(
      z.strictObject({
        name: z.string(),
        description: z.string().optional(),
        fired_by: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  // Flow control (issue #14): the step's own, in place of the task's.
  ...yamlFlowControlFields,
  // Original keys that have no meaning here; accepted so that files carry over unchanged.
  dependent_system: z.string().optional(),
});

/** A schedule (issue #14): the keys of `ScheduleInput` in snake_case. */
const scheduleSchema = z
  .strictObject({
    name: scheduleNameSchema.optional(),
    cron: cronSchema,
    timezone: timezoneSchema.default('UTC'),
    context: z.unknown().optional(),
    catch_up: catchUpSchema.optional(),
    catch_up_limit: catchUpLimitSchema.optional(),
  })
  .superRefine(refineCron);

const fileSchema = z.strictObject({
  name: z.string({ error: expected('a string') }),
  namespace_name: z.string({ error: expected('a string') }).optional(),
  version: z.string({ error: expected('a semver version') }).optional(),
  description: z.string().optional(),
  schema: z.record(z.string(), z.unknown(), { error: expected('a JSON Schema object') }).optional(),
  step_templates: z.array(stepTemplateSchema, { error: expected('an array of step templates') }),
  // Flow control (issue #14): for every step that does not set its own.
  ...yamlFlowControlFields,
  schedules: z.array(scheduleSchema, { error: expected('an array of schedules') }).optional(),
  // Original keys that have no meaning here.
  task_handler_class: z.string().optional(),
  module_namespace: z.string().nullable().optional(),
  named_steps: z.array(z.string()).optional(),
  default_dependent_system: z.string().optional(),
});

/** Options of the definition loaders. */
export interface LoadDefinitionOptions {
  /** `handler_class` name → handler. Every name the file uses must be here. */
  readonly handlers: HandlerMap;
  /** Named in error messages (a file path, say). */
  readonly source?: string;
}

/**
 * Builds a definition from an already-parsed YAML/JSON document in the original layout.
 *
 * @throws TaskerError `DEFINITION_INVALID`, `DEFINITION_CYCLE` or `HANDLER_NOT_FOUND`.
 */
export function taskDefinitionFromDocument(
  document: unknown,
  options: LoadDefinitionOptions,
): TaskDefinition {
  const where = options.source === undefined ? '' : ` in ${options.source}`;
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Invalid task definition${where}: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const doc = parsed.data;
  const steps: StepTemplateInput[] = doc.step_templates.map((t) => {
    const handler = options.handlers[t.handler_class];
    if (handler === undefined) {
      const known = Object.keys(options.handlers);
      throw new TaskerError(
        'HANDLER_NOT_FOUND',
        `Task definition "${doc.name}"${where}: step "${t.name}" names handler_class "${t.handler_class}", which is not in the handler map (known: ${known.length === 0 ? 'none' : known.join(', ')})`,
      );
    }
    const dependsOn = [
      ...(t.depends_on_step === undefined ? [] : [t.depends_on_step]),
      ...(t.depends_on_steps ?? []),
    ];
    return {
      name: t.name,
      handler,
      description: t.description,
      dependsOn,
      retryable: t.default_retryable,
      retryLimit: t.default_retry_limit,
      timeoutMs: t.timeout_ms,
      skippable: t.skippable,
      handlerConfig: t.handler_config,
      customEvents: t.custom_events?.map((e) => ({
        name: e.name,
        description: e.description,
        firedBy: e.fired_by,
      })),
      ...flowControlFromYaml(t),
    };
  });
  try {
    return defineTask({
      namespace: doc.namespace_name,
      name: doc.name,
      version: doc.version,
      description: doc.description,
      contextSchema: doc.schema,
      steps: steps.map(dropUndefined),
      ...flowControlFromYaml(doc),
      ...(doc.schedules === undefined
        ? {}
        : {
            schedules: doc.schedules.map((x) =>
              dropUndefined({
                name: x.name,
                cron: x.cron,
                timezone: x.timezone,
                context: x.context,
                catchUp: x.catch_up,
                catchUpLimit: x.catch_up_limit,
              }),
            ),
          }),
    });
  } catch (error) {
    if (error instanceof TaskerError && where !== '') error.message = `${error.message}${where}`;
    throw error;
  }
}

/**
 * Parses YAML or JSON text (JSON is YAML) into a definition.
 *
 * @throws TaskerError as {@link taskDefinitionFromDocument}, or `DEFINITION_INVALID` on a
 *   syntax error.
 */
export function parseTaskDefinition(text: string, options: LoadDefinitionOptions): TaskDefinition {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Invalid task definition${options.source === undefined ? '' : ` in ${options.source}`}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return taskDefinitionFromDocument(document, options);
}

/**
 * Reads a `.yaml`, `.yml` or `.json` file in the original layout.
 *
 * @example
 * ```ts
 * const checkout = await loadTaskDefinition('config/tasks/checkout.yaml', {
 *   handlers: { 'Shop::ReserveHandler': reserve, 'Shop::ChargeHandler': charge },
 * });
 * ```
 */
export async function loadTaskDefinition(
  path: string,
  options: Omit<LoadDefinitionOptions, 'source'>,
): Promise<TaskDefinition> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') {
    throw new TaskerError(
      'DEFINITION_INVALID',
      `Cannot load task definition ${path}: expected a .yaml, .yml or .json file`,
    );
  }
  const text = await readFile(path, 'utf8');
  return parseTaskDefinition(text, { ...options, source: path });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
