/** The dependency graph of a definition, and the runtime analysis of a task's steps. */
import { z } from '@hono/zod-openapi';
import { STEP_STATES } from '../../states/step-states';
import { idSchema, optionalTimeSchema, timeSchema } from './common';
import { stepErrorSchema } from './steps';

export const edgeSchema = z
  .object({ from: z.string().openapi({ example: 'reserve' }), to: z.string().openapi({ example: 'charge' }) })
  .openapi('DependencyEdge');

/** A definition's DAG, built from every step's dependencies. */
export const dependencyGraphSchema = z
  .object({
    nodes: z.array(
      z.object({
        name: z.string(),
        depends_on: z.array(z.string()),
        level: z.number().int().openapi({ description: 'Longest distance from a root step' }),
      }),
    ),
    edges: z.array(edgeSchema),
    execution_order: z.array(z.string()).openapi({ description: 'A topological order (parents first)' }),
  })
  .openapi('DependencyGraph');

const namedState = z.object({ name: z.string(), status: z.enum(STEP_STATES) });

/** A task's steps as a graph with their current state (`?include_dependencies=true`). */
export const dependencyAnalysisSchema = z
  .object({
    nodes: z.array(
      z.object({
        workflow_step_id: idSchema('step'),
        name: z.string(),
        status: z.enum(STEP_STATES),
        level: z.number().int(),
        attempts: z.number().int(),
        duration_ms: z.number().int().nullable().openapi({ description: 'Real duration, when it ran' }),
      }),
    ),
    edges: z.array(edgeSchema),
    execution_order: z.array(z.string()),
    levels: z.array(z.object({ level: z.number().int(), steps: z.array(z.string()) })),
    critical_path: z
      .object({
        steps: z.array(z.string()),
        spans: z.array(
          z.object({
            step: z.string(),
            first_claimed_at: optionalTimeSchema.openapi({
              description:
                'Its first claim (null when it settled without running: skipped, resolved by hand)',
            }),
            settled_at: timeSchema.openapi({ description: 'Its last settle' }),
            duration_ms: z.number().int().openapi({
              description:
                'From its first claim to its last settle: every attempt and the backoff between them',
            }),
            attempts: z.number().int(),
          }),
        ),
        duration_ms: z.number().int().openapi({
          description: 'From the first claim of the first step on the path to the settle of its last step',
        }),
        complete: z.boolean().openapi({ description: 'False until every step of the task has settled' }),
      })
      .openapi({
        description:
          'The steps that gated the task, from the transition audit: from the step that settled last, back ' +
          'through the parent that settled last at each step, to a root',
      }),
    ready_steps: z
      .array(z.string())
      .openapi({ description: 'Pending steps whose parents are all satisfied' }),
    blocked_steps: z.array(namedState.extend({ blocked_by: z.array(namedState) })),
    error_chains: z.array(
      z.object({
        step: z.string(),
        error: stepErrorSchema.nullable(),
        attempts: z.number().int(),
        blocked_descendants: z.array(z.string()),
      }),
    ),
  })
  .openapi('DependencyAnalysis');
