/**
 * What creating one task writes, worked out before anything is sent: its ids, its creation
 * transitions (in audit order), the steps that are ready at once, and the per-step values of
 * the insert. `create_task` (one task) and `create_tasks` (a batch) both write a plan, so a task
 * is stored the same way whichever of the two creates it.
 */
import { randomUUID } from 'node:crypto';
import { claimKey, DEFAULT_QUEUE } from './claim-key';
import type { NewTask } from './new-task';
import type { Change, ReadySteps, TaskInfo, TransitionRecord } from './records';
import { assertStorableJson, assertStorableText } from './storable';

/** Refuses, naming the field, any value of `input` that PostgreSQL cannot store. */
export function assertStorableTask(input: NewTask): void {
  assertStorableText('namespace', input.namespace);
  assertStorableText('name', input.name);
  assertStorableText('version', input.version);
  assertStorableJson('context', input.context);
  assertStorableText('initiator', input.initiator);
  assertStorableText('requested_initiator', input.requestedInitiator);
  assertStorableText('owner', input.owner);
  assertStorableText('source_system', input.sourceSystem);
  assertStorableText('reason', input.reason);
  for (const [i, tag] of (input.tags ?? []).entries()) assertStorableText(`tags[${i}]`, tag);
  for (const s of input.steps) {
    assertStorableText('concurrency key', s.concurrency?.key);
    assertStorableText('rate limit key', s.rateLimit?.key);
  }
  assertStorableJson('annotations', input.annotations);
  assertStorableText('identity_key', input.identityKey);
  assertStorableText('identity_key', input.identityWindow?.key);
  assertStorableJson('trace_context', input.traceContext);
}

/** One task's rows and change, as {@link planTask} works them out. */
export interface TaskPlan {
  readonly input: NewTask;
  readonly taskId: string;
  /** Step ids, in the order of `input.steps`. */
  readonly stepIds: readonly string[];
  /** Steps left to run (not bypassed): 0 makes the task complete at once. */
  readonly unfinished: number;
  /** Per step, its parents that are not bypassed. */
  readonly pendingParents: readonly number[];
  /** Per step, `pending` or `skipped` (bypassed). */
  readonly stepStates: readonly ('pending' | 'skipped')[];
  /** Parent and child step ids. */
  readonly edges: readonly (readonly [string, string])[];
  /** The delayed start (epoch ms), when it is later than `now`. */
  readonly runAt: number | undefined;
  /** The creation transitions, in audit order; their ids are set once written. */
  readonly transitions: TransitionRecord[];
  /** What the engine publishes once the task is committed. */
  readonly change: Change;
  /** Idle workers should be woken: steps are ready now, or will be at `runAt`. */
  readonly wakes: boolean;
  /** The context as JSON text. */
  readonly contextJson: string;
}

/**
 * Works out the rows of `input` created at `now`, with fresh ids. Made once, before the first
 * attempt: a retry after a commit whose acknowledgement was lost then finds its own task.
 */
export function planTask(input: NewTask, now: number): TaskPlan {
  const taskId = randomUUID();
  const skipped = new Set(input.bypassSteps);
  const unfinished = input.steps.filter((s) => !skipped.has(s.name)).length;
  const task: TaskInfo = {
    id: taskId,
    namespace: input.namespace,
    name: input.name,
    version: input.version,
    traceContext: input.traceContext,
    createdAt: now,
  };
  const ids = new Map(input.steps.map((s) => [s.name, randomUUID()]));
  const pendingParents = input.steps.map((s) => s.dependsOn.filter((d) => !skipped.has(d)).length);
  const transitions: TransitionRecord[] = [
    { kind: 'task', task, from: null, to: 'pending', at: now, reason: input.reason },
    { kind: 'task', task, from: 'pending', to: 'in_progress', at: now },
  ];
  const ready: ReadySteps = { task, stepIds: [], stepNames: [] };
  // A delayed start: its root steps become ready at `runAt`, not now.
  const start = input.delayMs === undefined ? input.runAt : now + input.delayMs;
  const delayed = start !== undefined && start > now;
  input.steps.forEach((s, i) => {
    const base = {
      kind: 'step',
      task,
      stepId: ids.get(s.name) as string,
      stepName: s.name,
      attempt: 0,
      retryLimit: s.retryLimit,
      at: now,
    } as const;
    transitions.push({ ...base, from: null, to: 'pending' });
    if (skipped.has(s.name))
      transitions.push({ ...base, from: 'pending', to: 'skipped', reason: 'bypassed' });
    else if (pendingParents[i] === 0 && !delayed) {
      (ready.stepIds as string[]).push(base.stepId);
      (ready.stepNames as string[]).push(s.name);
    }
  });
  if (unfinished === 0)
    transitions.push({ kind: 'task', task, from: 'in_progress', to: 'complete', at: now });
  const change: Change = {
    transitions,
    ready: ready.stepIds.length > 0 ? [ready] : [],
    ...(delayed && unfinished > 0 ? { delayed: true } : {}),
  };
  return {
    input,
    taskId,
    stepIds: input.steps.map((s) => ids.get(s.name) as string),
    unfinished,
    pendingParents,
    stepStates: input.steps.map((s) => (skipped.has(s.name) ? 'skipped' : 'pending')),
    edges: input.steps.flatMap((s) =>
      s.dependsOn.map((d) => [ids.get(d) as string, ids.get(s.name) as string] as const),
    ),
    runAt: delayed ? start : undefined,
    transitions,
    change,
    wakes: change.ready.length > 0 || change.delayed === true,
    contextJson: JSON.stringify(input.context ?? null),
  };
}

/** The queue of each step of `input`. */
export function stepQueues(input: NewTask): string[] {
  return input.steps.map((s) => s.queue ?? DEFAULT_QUEUE);
}

/** The claim key of each step of `input` (its queue and the task's exact version). */
export function stepClaimKeys(input: NewTask): string[] {
  return input.steps.map((s) =>
    claimKey(s.queue ?? DEFAULT_QUEUE, input.namespace, input.name, input.version),
  );
}
