/**
 * Schemas shared by every route: the problem body, ids, timestamps. Request and response shapes
 * are snake_case, as in the original Tasker; `../wire` converts them from and to the engine's
 * camelCase records.
 */
import { z } from '@hono/zod-openapi';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A task or step id: a UUID, checked before anything reaches the store. */
export const idSchema = (what: string) =>
  z
    .string()
    .regex(UUID, { error: (i) => `expected a ${what} id (a UUID), received ${JSON.stringify(i.input)}` })
    .openapi({ format: 'uuid', example: '0b1f3f52-5a52-4b8e-9d8e-2f8f0a1c7d11' });

/** An ISO 8601 time, or null. */
export const timeSchema = z.string().openapi({ format: 'date-time', example: '2026-01-31T12:00:00.000Z' });
export const optionalTimeSchema = timeSchema.nullable();

/** Any JSON value (contexts, inputs, results and annotations are the user's, untouched). */
export const jsonValueSchema = z.unknown().openapi({ description: 'Any JSON value' });

export const fieldErrorSchema = z
  .object({
    field: z.string().openapi({ example: 'context.order_id' }),
    message: z.string().openapi({ example: 'expected string, received number' }),
  })
  .openapi('FieldError');

/** `application/problem+json`: the one error shape. */
export const problemSchema = z
  .object({
    type: z.literal('about:blank'),
    title: z.string().openapi({ example: 'Bad Request' }),
    status: z.number().int().openapi({ example: 400 }),
    code: z.string().openapi({
      example: 'VALIDATION_FAILED',
      description: 'Stable error code (VALIDATION_FAILED, INVALID_JSON, TASK_NOT_FOUND, FORBIDDEN, …)',
    }),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .openapi('Problem');

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: problemSchema } },
});

/** Error responses a route may give, by status. */
export const problems = {
  400: problem('Malformed request: invalid JSON or a field of the wrong type (every field named)'),
  401: problem('Missing or invalid credentials (see the WWW-Authenticate header)'),
  403: problem('The principal lacks the permission of this route'),
  404: problem('Not found'),
  409: problem('The operation is not allowed in the current state'),
  413: problem('The request body is larger than the limit'),
  415: problem('The request body is not JSON'),
  422: problem('Well-formed, but invalid for the task definition (every field named)'),
  501: problem(
    'The documentation page needs the optional package swagger-ui-dist (the detail gives the install command)',
  ),
  503: problem('Not ready'),
} as const;

/** The errors of a route guarded by a permission, plus the given extra statuses. */
export function guardedProblems<const S extends keyof typeof problems>(...statuses: S[]) {
  const out: Record<number, (typeof problems)[keyof typeof problems]> = {
    401: problems[401],
    403: problems[403],
  };
  for (const s of statuses) out[s] = problems[s];
  return out as Pick<typeof problems, S | 401 | 403>;
}

/**
 * An integer query parameter from `min` to `max` (a query value is text: it is coerced, and
 * anything else, an empty value included, is refused naming the range).
 */
export function queryInteger(min: number, max: number) {
  const what = `expected an integer from ${min} to ${max}`;
  return z.coerce
    .number({ error: (i) => `${what}, received ${JSON.stringify(i.input)}` })
    .int({ error: what })
    .min(min, { error: what })
    .max(max, { error: what });
}

export const taskIdParams = z.object({ id: idSchema('task') });
export const stepParams = z.object({ id: idSchema('task'), stepId: idSchema('step') });

/** `?limit=` / `?offset=` pagination, as a response block. */
export const paginationSchema = z
  .object({
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().openapi({
      description:
        'Pass as `cursor` for the next page; null on the last one. A page ends early, with a cursor, when its byte budget is spent',
    }),
  })
  .openapi('Pagination');
