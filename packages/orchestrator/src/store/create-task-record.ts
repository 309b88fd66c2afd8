/**
 * Creating a task: its steps, edges and creation transitions are written by one statement
 * (`create_task`), retried as a whole on transient errors. The ids are made before the first
 * attempt, so a retry after a commit whose acknowledgement was lost finds its own task and
 * reports it as created, once, instead of creating a second one.
 */
import { randomUUID } from 'node:crypto';
import { TaskerError } from '../errors';
import { claimKey, DEFAULT_QUEUE } from './claim-key';
import type { Change, ReadySteps, TaskInfo, TransitionRecord } from './records';
import { createTask, findTask } from './sql/create-task';
import { assertStorableJson, assertStorableText } from './storable';
import type { Run, StoreContext } from './store-context';
import type { NewTask } from './task-store';
import { emptyChange, metadataOf, READY_CHANNEL } from './transition-log';

/** Refuses, naming the field, any value of `input` that PostgreSQL cannot store. */
function assertStorableTask(input: NewTask): void {
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

/**
 * Creates `input` (or finds the task holding its identity key); notifies with `notifyPayload`.
 * The transitions are recorded as written by `writer` (a registry number, or null). With `run`
 * (an open transaction's), the task is created in that transaction (a schedule's firing).
 */
export async function createTaskRecord(
  ctx: StoreContext,
  input: NewTask,
  now: number,
  notifyPayload: string,
  writer: number | null,
  run?: Run,
): Promise<{ taskId: string; created: boolean; change: Change }> {
  const query: Run = run ?? ((q, params) => ctx.query(q, params));
  assertStorableTask(input);
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
  const runAt = input.delayMs === undefined ? input.runAt : now + input.delayMs;
  const delayed = runAt !== undefined && runAt > now;
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
  const edges = input.steps.flatMap((s) => s.dependsOn.map((d) => [ids.get(d), ids.get(s.name)]));
  const context = JSON.stringify(input.context ?? null);

  const r = await query<{ id: string | null; transition_ids: unknown[] | null }>(createTask, [
    taskId,
    input.namespace,
    input.name,
    input.version,
    context,
    input.initiator ?? null,
    input.sourceSystem ?? null,
    input.reason ?? null,
    [...input.tags],
    JSON.stringify(input.annotations),
    input.identityKey ?? null,
    input.traceContext === undefined ? null : JSON.stringify(input.traceContext),
    [...input.bypassSteps],
    unfinished,
    now,
    input.steps.map((s) => ids.get(s.name)),
    input.steps.map((s) => s.name),
    input.steps.map((s) => s.handler),
    input.steps.map((_, i) => i),
    input.steps.map((s) => (skipped.has(s.name) ? 'skipped' : 'pending')),
    input.steps.map((s) => s.retryable),
    input.steps.map((s) => s.retryLimit),
    input.steps.map((s) => s.timeoutMs ?? null),
    input.steps.map((s) => s.skippable),
    pendingParents,
    edges.map((e) => e[0]),
    edges.map((e) => e[1]),
    transitions.map((t) => (t.kind === 'step' ? t.stepId : null)),
    transitions.map((t) => (t.kind === 'step' ? t.stepName : null)),
    transitions.map((t) => t.from),
    transitions.map((t) => t.to),
    transitions.map((t) => t.reason ?? null),
    transitions.map((t) => JSON.stringify(metadataOf(t))),
    change.ready.length > 0 || change.delayed === true ? READY_CHANNEL : null,
    notifyPayload,
    input.steps.map((s) => s.queue ?? DEFAULT_QUEUE),
    input.steps.map((s) => claimKey(s.queue ?? DEFAULT_QUEUE, input.namespace, input.name, input.version)),
    writer,
    input.owner ?? null,
    input.requestedInitiator ?? null,
    input.identityWindow?.key ?? null,
    input.identityWindow?.windowMs ?? 0,
    delayed ? runAt : null,
    input.priority ?? 0,
    input.steps.map((s) => s.priority ?? input.priority ?? 0),
    input.steps.map((s) => s.concurrency?.key ?? null),
    input.steps.map((s) => s.concurrency?.limit ?? null),
    input.steps.map((s) => s.rateLimit?.key ?? null),
    input.steps.map((s) => s.rateLimit?.limit ?? null),
    input.steps.map((s) => s.rateLimit?.periodMs ?? null),
    input.steps.map((s) => s.rateLimit?.burst ?? null),
  ]);
  if (r.rows[0]?.id != null) {
    const ids = r.rows[0].transition_ids as readonly unknown[] | null;
    if (ids !== null) {
      transitions.forEach((t, i) => {
        t.id = Number(ids[i]);
      });
    }
    return { taskId, created: true, change };
  }
  // Nothing inserted: our own earlier attempt committed (its id exists), or the identity key
  // (held for ever, or for a window that has not ended) belongs to another task.
  const found = await query<{ id: string }>(findTask, [
    taskId,
    input.identityKey ?? null,
    input.identityWindow?.key ?? null,
  ]);
  const existing = found.rows[0]?.id;
  if (existing === undefined)
    throw new TaskerError('STORE_ERROR', `Task ${taskId} was neither created nor found`);
  if (String(existing) === taskId) return { taskId, created: true, change };
  return { taskId: String(existing), created: false, change: emptyChange() };
}
