/**
 * What the store returns: plain records with camelCase fields and epoch-ms numbers, mapped
 * from rows in one place (both drivers may return `bigint` columns as strings).
 */
import type { EventError, TraceContext } from '@tasker/router';
import type { StepState } from '../states/step-states';
import type { TaskState } from '../states/task-states';

/** The fields of a task that its events carry. */
export interface TaskInfo {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly traceContext: TraceContext | undefined;
  readonly createdAt: number;
}

/** A step transition that a store operation committed. */
export interface StepTransitionRecord {
  /**
   * The audit row's id (`tasker.transitions.id`), set once written: the ids of the events of
   * this transition derive from it, the same in every process that publishes them.
   */
  id?: number;
  readonly kind: 'step';
  readonly task: TaskInfo;
  readonly stepId: string;
  readonly stepName: string;
  readonly from: StepState | null;
  readonly to: StepState;
  readonly attempt: number;
  readonly retryLimit: number;
  readonly at: number;
  readonly reason?: string;
  readonly actor?: string;
  readonly error?: EventError;
  readonly startedAt?: number;
  readonly backoffMs?: number;
  readonly nextAttemptAt?: number;
  readonly retryAfterMs?: number;
  /** True when the failure was retryable but no attempt was left. */
  readonly exhausted?: boolean;
}

/** A task transition that a store operation committed. */
export interface TaskTransitionRecord {
  /** The audit row's id, set once written (see {@link StepTransitionRecord.id}). */
  id?: number;
  readonly kind: 'task';
  readonly task: TaskInfo;
  readonly from: TaskState | null;
  readonly to: TaskState;
  readonly at: number;
  readonly reason?: string;
  readonly actor?: string;
  readonly error?: EventError;
}

export type TransitionRecord = StepTransitionRecord | TaskTransitionRecord;

/** Steps of one task that became ready to run. */
export interface ReadySteps {
  readonly task: TaskInfo;
  readonly stepIds: readonly string[];
  readonly stepNames: readonly string[];
}

/** Everything one committed store operation changed, in order; the engine turns it into events. */
export interface Change {
  readonly transitions: TransitionRecord[];
  readonly ready: ReadySteps[];
  /** Steps will become ready later (a delayed start): idle workers should claim to learn when. */
  readonly delayed?: boolean;
}

/** A step claimed by a worker, with everything its handler needs. */
export interface ClaimedStep {
  readonly id: string;
  readonly name: string;
  readonly handler: string;
  readonly task: TaskInfo;
  readonly context: unknown;
  readonly inputs: unknown;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly retryLimit: number;
  readonly retryable: boolean;
  /** The fencing token: completion must present it. */
  readonly token: number;
  readonly timeoutMs: number | undefined;
  /** `pending`, `waiting_for_retry`, or `in_progress` for a lease takeover. */
  readonly fromState: StepState;
  readonly parentResults: Record<string, unknown>;
  readonly claimedAt: number;
  /** The ids of the claim's audit rows, in order (two for a lease takeover). */
  readonly transitionIds: readonly number[];
}

/** A step as `getTask` shows it. */
export interface StepRecord {
  readonly id: string;
  readonly name: string;
  readonly handler: string;
  readonly position: number;
  readonly state: StepState;
  readonly dependsOn: readonly string[];
  readonly retryable: boolean;
  readonly retryLimit: number;
  readonly attempts: number;
  readonly timeoutMs: number | undefined;
  readonly skippable: boolean;
  readonly inputs: unknown;
  readonly results: unknown;
  readonly error: EventError | undefined;
  readonly nextAttemptAt: number | undefined;
  readonly leaseOwner: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly createdAt: number;
  /** The queue it is claimed from. */
  readonly queue: string;
  /** What a worker must have registered to claim it (`''` for a step written before 0.2). */
  readonly claimKey: string;
  /** Parents not yet satisfied. */
  readonly pendingParents: number;
  /** Its claim priority. */
  readonly priority: number;
  /** When it may be claimed (ready, a retry's or a delayed start's time, a lease's expiry). */
  readonly readyAt: number | undefined;
  /** Held back by its concurrency key (parked) or its rate limit (put back). */
  readonly hold: 'concurrency' | 'rate' | undefined;
  /** Its concurrency limit, with the key resolved from the context. */
  readonly concurrency: { readonly key: string; readonly limit: number } | undefined;
  /** Its rate limit, with the key resolved from the context. */
  readonly rateLimit:
    | { readonly key: string; readonly limit: number; readonly periodMs: number; readonly burst: number }
    | undefined;
  /**
   * Why a step that could run does not (set by the engine's `getTask`). Undefined when nothing
   * holds it back.
   */
  readonly waitingReason?: WaitingReason;
}

/** Why a ready step waits. */
export interface WaitingReason {
  /**
   * - `scheduled`: its task starts later (`runAt`);
   * - `concurrency`: its concurrency key has as many steps in progress as its limit;
   * - `rate_limited`: its rate limit admits its start later;
   * - `no_worker`: no live worker has registered this step's definition and queue.
   */
  readonly code: 'scheduled' | 'concurrency' | 'rate_limited' | 'no_worker';
  readonly message: string;
  /** Until when, for `scheduled` and `rate_limited` (epoch ms). */
  readonly until?: number;
}

/** One row of the audit trail. */
export interface TransitionRow {
  readonly id: number;
  readonly stepId: string | undefined;
  readonly stepName: string | undefined;
  readonly from: string | null;
  readonly to: string;
  readonly reason: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly at: number;
}

/** JSON values, for annotations. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A task without its context and annotations: what `listTasks` gives unless asked for more. */
export interface TaskSummary {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly state: TaskState;
  readonly initiator: string | undefined;
  /** The initiator the client asked for, when `initiator` is its principal's subject. */
  readonly requestedInitiator: string | undefined;
  /** The authenticated principal that submitted the task, when there was one. */
  readonly owner: string | undefined;
  readonly sourceSystem: string | undefined;
  readonly reason: string | undefined;
  readonly tags: readonly string[];
  readonly identityKey: string | undefined;
  readonly traceContext: TraceContext | undefined;
  readonly bypassSteps: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly completedAt: number | undefined;
  /** A delayed start: its root steps were not to start before this time. */
  readonly runAt: number | undefined;
  /** Its priority (its steps', unless a step has its own). */
  readonly priority: number;
}

/** A task as `getTask` shows it, and `listTasks` with `include: 'context'`. */
export interface TaskRecord extends TaskSummary {
  readonly context: unknown;
  /** Typed JSON annotations: annotation type → value. */
  readonly annotations: Readonly<Record<string, JsonValue>>;
}

/** A value that a task's details left out to keep to their byte budget. */
export interface OmittedValue {
  /** `context` (with the annotations), `steps[<name>]` (inputs, results and error), `transitions`. */
  readonly field: string;
  /** Its size as JSON text; for `transitions`, how many were left out (the oldest). */
  readonly bytes?: number;
  readonly count?: number;
}

/** A task with its steps and its transitions. */
export interface TaskDetails extends TaskRecord {
  readonly steps: readonly StepRecord[];
  readonly transitions: readonly TransitionRow[];
  /** Read with a byte budget: what was left out to keep to it (empty when nothing was). */
  readonly omitted?: readonly OmittedValue[];
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const optNum = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : num(v));
const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** Task fields of an event row (`TASK_EVENT_COLUMNS`, or `STEP_EVENT_COLUMNS` with `prefix`). */
export function taskInfoFrom(row: Row, stepRow = false): TaskInfo {
  return {
    id: String(stepRow ? row.task_id : row.id),
    namespace: String(row.namespace),
    name: String(stepRow ? row.task_name : row.name),
    version: String(row.version),
    traceContext: (row.trace_context ?? undefined) as TraceContext | undefined,
    createdAt: optNum(row.created_at) ?? 0,
  };
}

export function taskSummaryFrom(row: Row): TaskSummary {
  return {
    id: String(row.id),
    namespace: String(row.namespace),
    name: String(row.name),
    version: String(row.version),
    state: row.state as TaskState,
    initiator: optStr(row.initiator),
    requestedInitiator: optStr(row.requested_initiator),
    owner: optStr(row.owner),
    sourceSystem: optStr(row.source_system),
    reason: optStr(row.reason),
    tags: (row.tags as string[] | null) ?? [],
    identityKey: optStr(row.identity_key),
    traceContext: (row.trace_context ?? undefined) as TraceContext | undefined,
    bypassSteps: (row.bypass_steps as string[] | null) ?? [],
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    completedAt: optNum(row.completed_at),
    runAt: optNum(row.run_at),
    priority: num(row.priority ?? 0),
  };
}

export function taskRecordFrom(row: Row): TaskRecord {
  return {
    ...taskSummaryFrom(row),
    context: row.context,
    annotations: (row.annotations as Record<string, JsonValue> | null) ?? {},
  };
}

export function stepRecordFrom(row: Row): StepRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    handler: String(row.handler),
    position: num(row.position),
    state: row.state as StepState,
    dependsOn: (row.depends_on as string[] | null) ?? [],
    retryable: row.retryable === true,
    retryLimit: num(row.retry_limit),
    attempts: num(row.attempts),
    timeoutMs: optNum(row.timeout_ms),
    skippable: row.skippable === true,
    inputs: row.inputs,
    results: row.results ?? undefined,
    error: (row.error ?? undefined) as EventError | undefined,
    nextAttemptAt: optNum(row.next_attempt_at),
    leaseOwner: optStr(row.lease_owner),
    leaseExpiresAt: optNum(row.lease_expires_at),
    startedAt: optNum(row.started_at),
    endedAt: optNum(row.ended_at),
    createdAt: num(row.created_at),
    queue: row.queue == null ? 'default' : String(row.queue),
    claimKey: row.claim_key == null ? '' : String(row.claim_key),
    pendingParents: num(row.pending_parents ?? 0),
    priority: num(row.priority ?? 0),
    readyAt: optNum(row.ready_at),
    hold: row.hold === 'concurrency' || row.hold === 'rate' ? row.hold : undefined,
    concurrency:
      row.concurrency_key == null
        ? undefined
        : { key: String(row.concurrency_key), limit: num(row.concurrency_limit) },
    rateLimit:
      row.rate_key == null
        ? undefined
        : {
            key: String(row.rate_key),
            limit: num(row.rate_limit),
            periodMs: num(row.rate_period_ms),
            burst: num(row.rate_burst),
          },
  };
}

export function transitionRowFrom(row: Row): TransitionRow {
  return {
    id: num(row.id),
    stepId: optStr(row.step_id),
    stepName: optStr(row.step_name),
    from: (row.from_state ?? null) as string | null,
    to: String(row.to_state),
    reason: optStr(row.reason),
    metadata: (row.metadata as Record<string, unknown> | null) ?? {},
    at: num(row.created_at),
  };
}

export { num, optNum };
