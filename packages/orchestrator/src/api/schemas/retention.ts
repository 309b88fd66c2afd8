/**
 * `GET /retention`: the retention policy of the process serving the API (its `retention`
 * configuration, with the rules it resolves to) and the newest recorded runs of the sweep.
 */
import { z } from '@hono/zod-openapi';
import { queryInteger, timeSchema } from './common';

const count = z.number().int();
const FINISHED = ['complete', 'error', 'cancelled', 'resolved_manually'] as const;
const keep = count
  .nullable()
  .openapi({ description: 'Milliseconds after the task finished; null: kept for ever' });

const keepByStateSchema = z
  .object({ complete: keep, error: keep, cancelled: keep, resolved_manually: keep })
  .openapi('RetentionKeep');

const ruleFiguresSchema = z.object({
  state: z.string(),
  namespace: z
    .string()
    .nullable()
    .openapi({ description: 'null: every namespace without a rule of its own' }),
  keep_ms: count,
  cutoff: timeSchema
    .nullable()
    .openapi({ description: 'Tasks of the rule finished before this time were due' }),
  tasks: count,
  transitions: count,
  archived: count,
});

export const retentionRunSchema = z
  .object({
    id: count,
    started_at: timeSchema,
    finished_at: timeSchema,
    duration_ms: count,
    dry_run: z.boolean().openapi({ description: 'Counted what it would remove, removed nothing' }),
    worker_id: z.string().openapi({ description: 'The engine process that ran it' }),
    tasks: count.openapi({ description: 'Tasks removed (a dry run: due)' }),
    transitions: count.openapi({ description: 'Audit rows removed with them' }),
    archived: count.openapi({ description: 'Audit rows copied to tasker.transitions_archive first' }),
    identity_keys: count.openapi({ description: 'Expired identity windows removed' }),
    batches: count,
    complete: z.boolean().openapi({
      description: 'Every rule ran to its end (false: stopped by retention.maxRunMs, a stop or an error)',
    }),
    error: z.string().nullable(),
    by_rule: z.array(ruleFiguresSchema),
  })
  .openapi('RetentionRun');

export const retentionQuerySchema = z.object({
  limit: queryInteger(1, 100)
    .default(10)
    .openapi({ type: 'integer', description: 'How many of the newest runs (1 to 100, default 10)' }),
});

export const retentionSchema = z
  .object({
    policy: z
      .object({
        enabled: z.boolean().openapi({ description: 'Some state has a keep: workers sweep' }),
        keep_ms: keepByStateSchema.openapi({ description: 'How long finished tasks are kept, by state' }),
        namespaces: z
          .record(z.string(), keepByStateSchema)
          .openapi({ description: 'Keeps of a namespace, over keep_ms for the states they set' }),
        archive: z.boolean().openapi({
          description: "A removed task's audit is moved to tasker.transitions_archive, not deleted",
        }),
        interval_ms: count.openapi({ description: 'How often a worker runs the sweep' }),
        batch_size: count.openapi({ description: 'Tasks removed per batch (one transaction), at most' }),
        batch_time_ms: count.openapi({ description: 'A slower batch halves the next one' }),
        pause_ms: count.openapi({ description: 'Pause between batches' }),
        duty_cycle: z
          .number()
          .openapi({ description: 'Share of its time the sweep may keep the database busy' }),
        max_run_ms: count.openapi({ description: 'A run stops after this long; the next one goes on' }),
        rules: z
          .array(
            z.object({
              state: z.enum(FINISHED),
              namespace: z
                .string()
                .nullable()
                .openapi({ description: 'null: every namespace but excluded_namespaces' }),
              excluded_namespaces: z.array(z.string()),
              keep_ms: count,
            }),
          )
          .openapi({ description: 'The rules the policy resolves to, in the order a run applies them' }),
      })
      .openapi({ description: 'The retention configuration of the process serving this API' }),
    runs: z.array(retentionRunSchema).openapi({ description: 'The newest recorded runs, newest first' }),
  })
  .openapi('Retention');
