/** `POST /tasks/batch`: many submit bodies in one request, and the task each became. */
import { z } from '@hono/zod-openapi';
import { createTaskSchema } from './tasks';

/** Most tasks one `POST /tasks/batch` request may carry. */
export const MAX_BATCH_TASKS = 1_000;

export const createTaskBatchSchema = z
  .strictObject({
    tasks: z
      .array(createTaskSchema, { error: 'expected an array of tasks, each the body of POST /tasks' })
      .min(1, { error: `expected 1 to ${MAX_BATCH_TASKS} tasks` })
      .max(MAX_BATCH_TASKS, { error: `expected 1 to ${MAX_BATCH_TASKS} tasks` })
      .openapi({
        description: `1 to ${MAX_BATCH_TASKS} tasks, each the body of \`POST /tasks\`. The request body's size limit (\`maxBodyBytes\`, 1 MiB by default) applies to the whole batch.`,
      }),
  })
  .openapi('TaskBatchCreate');

export const taskBatchItemSchema = z
  .object({
    task_id: z.string().nullable().openapi({
      format: 'uuid',
      description: 'The task, created or found by its identity_key; null with `error`',
    }),
    created: z.boolean().openapi({ description: 'False when its identity_key matched an existing task' }),
    error: z
      .object({
        code: z.literal('IDENTITY_KEY_TAKEN'),
        field: z.string().openapi({ example: 'tasks[3].identity_key' }),
        message: z.string(),
      })
      .optional()
      .openapi({
        description:
          "With owner scoping: its identity_key is held by another owner's task, which is not shown; nothing was created for it",
      }),
  })
  .openapi('TaskBatchItem');

export const taskBatchResultSchema = z
  .object({
    tasks: z.array(taskBatchItemSchema).openapi({ description: 'One per task of the request, in its order' }),
  })
  .openapi('TaskBatchResult');
