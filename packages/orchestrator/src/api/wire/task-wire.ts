/**
 * The one layer between the engine's camelCase records and the API's snake_case JSON, for tasks
 * and steps, both ways. User data (`context`, `inputs`, `results`, `annotations`, transition
 * metadata) passes through untouched: only the API's own field names are converted.
 */
import type { z } from 'zod';
import type { SubmitRequest } from '../../engine/submit';
import type { StepRecord, TaskDetails, TaskRecord, TransitionRow } from '../../store/records';
import type { TaskFilter, TaskListItem } from '../../store/task-reads';
import type { stepSchema } from '../schemas/steps';
import type {
  createTaskSchema,
  listTasksQuerySchema,
  taskDetailsSchema,
  taskListItemSchema,
  taskSchema,
  transitionSchema,
  updateTaskSchema,
} from '../schemas/tasks';
import { type JsonPart, RawJson } from '../sliced-json';
import { iso, isoOrNull } from './time';

export type TaskWire = z.infer<typeof taskSchema>;
export type TaskListItemWire = z.infer<typeof taskListItemSchema>;
export type TaskDetailsWire = z.infer<typeof taskDetailsSchema>;
export type StepWire = z.infer<typeof stepSchema>;
export type TransitionWire = z.infer<typeof transitionSchema>;

export function taskToWire(t: TaskRecord): TaskWire {
  return { ...taskListItemToWire(t), context: t.context, annotations: { ...t.annotations } };
}

/**
 * A list item whose context and annotations came as JSON text (`include: 'contextText'`),
 * serialized without parsing them: its summary fields, then the two texts as they are.
 */
export function taskListItemJson(t: TaskListItem): RawJson {
  const head = JSON.stringify(taskListItemToWire(t));
  if (t.contextText === undefined) return new RawJson(head);
  return new RawJson(
    `${head.slice(0, -1)},"context":`,
    t.contextText,
    ',"annotations":',
    t.annotationsText ?? '{}',
    '}',
  );
}

/** A task of a list: its context and annotations only when the page includes them. */
export function taskListItemToWire(t: TaskListItem): TaskListItemWire {
  return {
    task_id: t.id,
    namespace: t.namespace,
    name: t.name,
    version: t.version,
    status: t.state,
    ...(t.context === undefined ? {} : { context: t.context }),
    initiator: t.initiator ?? null,
    requested_initiator: t.requestedInitiator ?? null,
    owner: t.owner ?? null,
    source_system: t.sourceSystem ?? null,
    reason: t.reason ?? null,
    tags: [...t.tags],
    ...(t.annotations === undefined ? {} : { annotations: { ...t.annotations } }),
    identity_key: t.identityKey ?? null,
    bypass_steps: [...t.bypassSteps],
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    completed_at: isoOrNull(t.completedAt),
    run_at: isoOrNull(t.runAt),
    priority: t.priority,
  };
}

export function stepToWire(taskId: string, s: StepRecord): StepWire {
  return {
    workflow_step_id: s.id,
    task_id: taskId,
    name: s.name,
    handler: s.handler,
    status: s.state,
    depends_on: [...s.dependsOn],
    retryable: s.retryable,
    retry_limit: s.retryLimit,
    attempts: s.attempts,
    skippable: s.skippable,
    timeout_ms: s.timeoutMs ?? null,
    inputs: s.inputs,
    results: s.results ?? null,
    error:
      s.error === undefined
        ? null
        : {
            name: s.error.name,
            message: s.error.message,
            ...(s.error.code === undefined ? {} : { code: s.error.code }),
          },
    next_attempt_at: isoOrNull(s.nextAttemptAt),
    lease_owner: s.leaseOwner ?? null,
    lease_expires_at: isoOrNull(s.leaseExpiresAt),
    started_at: isoOrNull(s.startedAt),
    ended_at: isoOrNull(s.endedAt),
    duration_ms: stepDurationMs(s),
    created_at: iso(s.createdAt),
    queue: s.queue,
    priority: s.priority,
    concurrency: s.concurrency === undefined ? null : { key: s.concurrency.key, limit: s.concurrency.limit },
    rate_limit:
      s.rateLimit === undefined
        ? null
        : {
            key: s.rateLimit.key,
            limit: s.rateLimit.limit,
            period_ms: s.rateLimit.periodMs,
            burst: s.rateLimit.burst,
          },
    waiting_reason:
      s.waitingReason === undefined
        ? null
        : {
            code: s.waitingReason.code,
            message: s.waitingReason.message,
            until: isoOrNull(s.waitingReason.until),
          },
  };
}

/** The last attempt's real duration, when the step ran to an end. */
export function stepDurationMs(s: StepRecord): number | null {
  return s.startedAt === undefined || s.endedAt === undefined ? null : Math.max(0, s.endedAt - s.startedAt);
}

export function transitionToWire(t: TransitionRow): TransitionWire {
  return {
    id: t.id,
    workflow_step_id: t.stepId ?? null,
    step_name: t.stepName ?? null,
    from_state: t.from,
    to_state: t.to,
    reason: t.reason ?? null,
    metadata: { ...t.metadata },
    created_at: iso(t.at),
  };
}

export function taskDetailsToWire(t: TaskDetails): TaskDetailsWire {
  return {
    ...taskToWire(t),
    workflow_steps: t.steps.map((s) => stepToWire(t.id, s)),
    transitions: t.transitions.map(transitionToWire),
    omitted: [...(t.omitted ?? [])],
  };
}

/**
 * A task's details as the parts of a sliced JSON response (`../sliced-json.ts`): one step or
 * transition a part, so that no slice serializes more than one of them. `extra` fields (such as
 * the dependency analysis) come last.
 */
export function taskDetailsParts(t: TaskDetails, extra: Record<string, unknown> = {}): JsonPart[] {
  const head = JSON.stringify(taskToWire(t));
  return [
    `${head.slice(0, -1)},"workflow_steps":[`,
    { items: t.steps.map((s) => stepToWire(t.id, s)) },
    '],"transitions":[',
    { items: t.transitions.map(transitionToWire) },
    `],"omitted":${JSON.stringify(t.omitted ?? [])}`,
    ...Object.entries(extra).map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`),
    '}',
  ];
}

/**
 * `POST /tasks` body → the engine's submit request. With an authenticated `principal`, the task's
 * `initiator` and `owner` are its subject; the client's `initiator` is kept as
 * `requestedInitiator`.
 */
export function submitFromWire(
  body: z.infer<typeof createTaskSchema>,
  principal: { readonly id: string } | null = null,
): SubmitRequest {
  const who =
    principal === null
      ? body.initiator === undefined
        ? {}
        : { initiator: body.initiator }
      : {
          initiator: principal.id,
          owner: principal.id,
          ...(body.initiator === undefined ? {} : { requestedInitiator: body.initiator }),
        };
  return {
    ...who,
    name: body.name,
    ...(body.namespace === undefined ? {} : { namespace: body.namespace }),
    ...(body.version === undefined ? {} : { version: body.version }),
    context: body.context ?? {},
    ...(body.source_system === undefined ? {} : { sourceSystem: body.source_system }),
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.annotations === undefined
      ? {}
      : { annotations: body.annotations as NonNullable<SubmitRequest['annotations']> }),
    ...(body.bypass_steps === undefined ? {} : { bypassSteps: body.bypass_steps }),
    ...(body.identity_key === undefined ? {} : { identityKey: body.identity_key }),
    ...(body.run_at === undefined ? {} : { runAt: body.run_at }),
    ...(body.priority === undefined ? {} : { priority: body.priority }),
  };
}

/** `PATCH /tasks/:id` body → the engine's task changes. */
export function taskChangesFromWire(body: z.infer<typeof updateTaskSchema>): {
  reason?: string;
  tags?: readonly string[];
} {
  return {
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
  };
}

const SORT_BY = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  completed_at: 'completedAt',
  namespace: 'namespace',
  name: 'name',
  status: 'state',
} as const;

/** `GET /tasks` query → the engine's task filter. */
export function taskFilterFromWire(q: z.infer<typeof listTasksQuerySchema>): TaskFilter {
  return {
    ...(q.namespace === undefined ? {} : { namespace: q.namespace }),
    ...(q.name === undefined ? {} : { name: q.name }),
    ...(q.version === undefined ? {} : { version: q.version }),
    ...(q.status === undefined ? {} : { state: q.status }),
    ...(q.created_from === undefined ? {} : { createdFrom: Date.parse(q.created_from) }),
    ...(q.created_before === undefined ? {} : { createdBefore: Date.parse(q.created_before) }),
    limit: q.limit,
    offset: q.offset,
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    // Context and annotations are written out as the database's JSON text, never parsed here.
    include: q.include === 'context' ? 'contextText' : 'summary',
    sortBy: SORT_BY[q.sort_by],
    sortOrder: q.sort_order,
  };
}
