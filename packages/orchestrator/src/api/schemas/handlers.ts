/** Handler discovery: namespaces, the task definitions in one, and one definition in full. */
import { z } from '@hono/zod-openapi';
import { dependencyGraphSchema } from './dependency-analysis';

const segment = z
  .string()
  .min(1)
  .max(200, { error: 'expected at most 200 characters' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/, {
    error: 'expected a name of letters, digits, "_", ".", ":" or "-"',
  });

export const namespaceParams = z.object({ namespace: segment.openapi({ example: 'shop' }) });
export const handlerParams = z.object({
  namespace: segment.openapi({ example: 'shop' }),
  name: segment.openapi({ example: 'checkout' }),
});
export const handlerQuerySchema = z.object({
  version: z
    .string()
    .min(1)
    .max(100, { error: 'expected at most 100 characters' })
    .optional()
    .openapi({ description: 'Exact, "latest" or a semver range. Default: the latest', example: '1.0.0' }),
});

export const namespaceListSchema = z
  .object({
    namespaces: z.array(
      z.object({
        name: z.string(),
        handler_count: z.number().int().openapi({ description: 'Task names in the namespace' }),
        version_count: z.number().int(),
      }),
    ),
  })
  .openapi('NamespaceList');

export const handlerSummarySchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    versions: z.array(z.string()),
    latest_version: z.string(),
    description: z.string().nullable(),
    step_count: z.number().int(),
  })
  .openapi('HandlerSummary');

export const namespaceHandlersSchema = z
  .object({ namespace: z.string(), handlers: z.array(handlerSummarySchema) })
  .openapi('NamespaceHandlers');

export const stepTemplateSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    handler: z
      .string()
      .openapi({ description: "The handler's name in the handler map, or its function name" }),
    depends_on: z.array(z.string()),
    retryable: z.boolean(),
    retry_limit: z.number().int(),
    timeout_ms: z.number().int().nullable(),
    skippable: z.boolean(),
    handler_config: z.record(z.string(), z.unknown()),
    custom_events: z.array(z.object({ name: z.string(), description: z.string() })),
    queue: z.string().openapi({ description: 'The queue the step is claimed from' }),
    priority: z.number().int().nullable().openapi({
      description: "The step's own priority; null: the task's (as submitted, else the definition's)",
    }),
    concurrency: z.object({ key: z.string(), limit: z.number().int() }).nullable().openapi({
      description: 'Its concurrency limit: a constant key, or context.<path> for one limit per value',
    }),
    rate_limit: z
      .object({
        key: z.string(),
        limit: z.number().int(),
        period_ms: z.number().int(),
        burst: z.number().int(),
      })
      .nullable()
      .openapi({ description: 'Its rate limit: limit starts per period_ms, and burst more at once' }),
  })
  .openapi('StepTemplate');

export const handlerDetailsSchema = z
  .object({
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    versions: z.array(z.string()),
    description: z.string().nullable(),
    priority: z.number().int().openapi({ description: "The tasks' priority unless a submit gives one" }),
    step_templates: z.array(stepTemplateSchema),
    dependency_graph: dependencyGraphSchema,
  })
  .openapi('HandlerDetails');
