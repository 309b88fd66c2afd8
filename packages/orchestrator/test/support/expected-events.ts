/**
 * The lifecycle events that the transition audit (`tasker.transitions`) says were published,
 * derived by the transition → event table at the top of `src/engine/event-publisher.ts`, and
 * the same keys for the events a recording backend received, so that a test compares the two
 * as a whole: a missing or an extra event fails it.
 *
 * An event's key is its name, its task, and for step events the step (name and id) and the
 * attempt; `*.before_transition` adds `from→to`, and `workflow.viable_steps_discovered` its
 * steps by name. Payload details (timings, errors) are for the tests that need them.
 *
 * Two things are not in an audit row, and are derived:
 * - which steps became ready, and together: `workflow.viable_steps_discovered` is one event per
 *   task per committed change. The rows of one change share a transaction, so they are grouped
 *   by `xmin` (the inserting transaction; fine for a test database, where no row is old
 *   enough to be frozen). A step is ready in a change that created it with no unsatisfied
 *   parent, retried it from `error`, or satisfied its last parent (`complete`,
 *   `resolved_manually`, or `skipped` at creation), if it is still `pending` then;
 * - whether a failure used up its retries (`observability.step.max_retries_reached`): the
 *   audit does not record whether the error was retryable, so a step that may retry, failed
 *   past its retry limit, and was not failed by a `PermanentError` counts as exhausted.
 *
 * `step.handle` and `observability.step.handle` are not transitions: the engine publishes them
 * when it invokes the handler of a claim. They are expected once per claim unless
 * `handled: false` (a process that died between its claim and the handler never sent them).
 */
import type { RoutedEvent } from '@tasker/router';

/** Runs one statement: a `pg` Pool or Client, or a PGlite instance, fits. */
export type AuditQuery = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** One row of `tasker.transitions`, with the transaction that wrote it. */
export interface AuditRow {
  readonly id: number;
  readonly taskId: string;
  readonly stepId: string | undefined;
  readonly stepName: string | undefined;
  readonly from: string | null;
  readonly to: string;
  readonly reason: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly tx: string;
}

/** A step as the derivation needs it: its parents and its retry policy. */
export interface AuditStep {
  readonly id: string;
  readonly taskId: string;
  readonly name: string;
  readonly parentIds: readonly string[];
  readonly retryable: boolean;
  readonly retryLimit: number;
}

/** The audit rows of some tasks, in id order, and their steps. */
export interface Audit {
  readonly rows: readonly AuditRow[];
  readonly steps: readonly AuditStep[];
}

const optStr = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** Reads the audit rows and the steps of `taskIds`. */
export async function readAudit(query: AuditQuery, taskIds: readonly string[]): Promise<Audit> {
  const ids = [...taskIds];
  const rows = await query(
    `select id, task_id::text, step_id::text, step_name, from_state, to_state, reason, metadata,
       xmin::text as tx
     from tasker.transitions where task_id = any($1::uuid[]) order by id`,
    [ids],
  );
  const steps = await query(
    `select s.id::text, s.task_id::text, s.name, s.retryable, s.retry_limit,
       coalesce(array_agg(e.parent_id::text) filter (where e.parent_id is not null), '{}') as parent_ids
     from tasker.steps s left join tasker.step_edges e on e.child_id = s.id
     where s.task_id = any($1::uuid[]) group by s.id`,
    [ids],
  );
  return {
    rows: rows.rows.map((r) => ({
      id: Number(r.id),
      taskId: String(r.task_id),
      stepId: optStr(r.step_id),
      stepName: optStr(r.step_name),
      from: (r.from_state ?? null) as string | null,
      to: String(r.to_state),
      reason: optStr(r.reason),
      metadata: (r.metadata ?? {}) as Record<string, unknown>,
      tx: String(r.tx),
    })),
    steps: steps.rows.map((r) => ({
      id: String(r.id),
      taskId: String(r.task_id),
      name: String(r.name),
      parentIds: r.parent_ids as string[],
      retryable: r.retryable === true,
      retryLimit: Number(r.retry_limit),
    })),
  };
}

/** The fields of an event (its payload's, or as derived from the audit) that its key uses. */
interface KeyFields {
  readonly taskId?: string;
  readonly stepId?: string;
  readonly stepName?: string;
  readonly attempt?: number;
  readonly fromState?: string | null;
  readonly toState?: string;
  readonly stepNames?: readonly string[];
}

/** The key of one event. */
export function eventKey(name: string, f: KeyFields): string {
  let key = `${name} task=${f.taskId}`;
  if (f.stepNames !== undefined) key += ` steps=[${[...f.stepNames].sort().join(',')}]`;
  if (f.stepId !== undefined) key += ` step=${f.stepName}(${f.stepId}) attempt=${f.attempt}`;
  if (name.endsWith('.before_transition')) key += ` ${f.fromState ?? null}→${f.toState}`;
  return key;
}

const LIFECYCLE = /^(task|step|workflow|observability)\./;

/** The sorted keys of the lifecycle events among `events` (`task.*`, `step.*`, …). */
export function publishedEvents(events: readonly RoutedEvent[]): string[] {
  const keys: string[] = [];
  for (const e of events) if (LIFECYCLE.test(e.name)) keys.push(eventKey(e.name, e.payload as KeyFields));
  return keys.sort();
}

/** The events of a task transition, after `task.before_transition` (as `EventPublisher.#task`). */
function taskEvents(from: string | null, to: string): string[] {
  if (from === null) return ['task.initialize_requested'];
  if (to === 'in_progress' && from === 'pending')
    return ['task.start_requested', 'workflow.task_started', 'observability.task.enqueue'];
  if (to === 'in_progress' && from === 'error') return ['task.retry_requested'];
  if (to === 'complete') return ['task.completed', 'workflow.task_completed', 'observability.task.finalize'];
  if (to === 'error') return ['task.failed', 'workflow.task_failed', 'observability.task.finalize'];
  if (to === 'cancelled') return ['task.cancelled'];
  if (to === 'resolved_manually') return ['task.resolved_manually'];
  return [];
}

/** The events of a step transition, after `step.before_transition` (as `EventPublisher.#step`). */
function stepEvents(row: AuditRow, step: AuditStep | undefined, attempt: number): string[] {
  switch (row.to) {
    case 'pending':
      if (row.from === null) return ['step.initialize_requested'];
      return row.from === 'error' ? ['step.retry_requested'] : [];
    case 'skipped':
      return ['observability.step.skip'];
    case 'in_progress':
      return ['step.execution_requested', 'step.before_handle'];
    case 'complete':
      return ['step.completed', 'workflow.step_completed'];
    case 'waiting_for_retry':
      return ['step.failed', 'step.retry_requested', 'observability.step.backoff'];
    case 'error': {
      const error = row.metadata.error as { name?: string } | undefined;
      const exhausted =
        step?.retryable === true && attempt > step.retryLimit && error?.name !== 'PermanentError';
      return exhausted
        ? ['step.failed', 'workflow.step_failed', 'observability.step.max_retries_reached']
        : ['step.failed', 'workflow.step_failed'];
    }
    case 'cancelled':
      return ['step.cancelled'];
    case 'resolved_manually':
      return ['step.resolved_manually'];
    default:
      return [];
  }
}

/** Options of {@link expectedEvents}. */
export interface ExpectedEventsOptions {
  /** Expect `step.handle` and `observability.step.handle` once per claim (default true). */
  readonly handled?: boolean;
}

/** The sorted keys of every lifecycle event that `audit` says was published. */
export function expectedEvents(audit: Audit, options: ExpectedEventsOptions = {}): string[] {
  const handled = options.handled ?? true;
  const steps = new Map(audit.steps.map((s) => [s.id, s]));
  const children = new Map<string, string[]>();
  for (const s of audit.steps) {
    for (const p of s.parentIds) children.set(p, [...(children.get(p) ?? []), s.id]);
  }
  const unsatisfied = new Map(audit.steps.map((s) => [s.id, s.parentIds.length]));
  const state = new Map<string, string>();
  const keys: string[] = [];

  // Transactions in the order of their first row; a task's rows are serialised by its locks.
  const byTx = new Map<string, AuditRow[]>();
  for (const row of audit.rows) byTx.set(row.tx, [...(byTx.get(row.tx) ?? []), row]);

  for (const rows of byTx.values()) {
    // Steps that may have become ready in this change: created, retried, or a parent satisfied.
    const candidates = new Set<string>();
    rows.forEach((row, i) => {
      if (row.stepId === undefined) {
        keys.push(
          eventKey('task.before_transition', { taskId: row.taskId, fromState: row.from, toState: row.to }),
        );
        for (const name of taskEvents(row.from, row.to)) keys.push(eventKey(name, { taskId: row.taskId }));
        return;
      }
      // A lease takeover's `in_progress → pending` row has no attempt; it is published with
      // the attempt of the claim that follows it in the same statement.
      const attempt =
        row.metadata.attempt === undefined
          ? Number(rows.slice(i + 1).find((r) => r.stepId === row.stepId)?.metadata.attempt)
          : Number(row.metadata.attempt);
      const fields = { taskId: row.taskId, stepId: row.stepId, stepName: row.stepName, attempt };
      keys.push(eventKey('step.before_transition', { ...fields, fromState: row.from, toState: row.to }));
      for (const name of stepEvents(row, steps.get(row.stepId), attempt)) keys.push(eventKey(name, fields));
      if (row.to === 'in_progress' && handled) {
        keys.push(eventKey('step.handle', fields), eventKey('observability.step.handle', fields));
      }
      state.set(row.stepId, row.to);
      if (row.to === 'pending' && (row.from === null || row.from === 'error')) candidates.add(row.stepId);
      if (row.to === 'complete' || row.to === 'resolved_manually' || row.to === 'skipped') {
        for (const child of children.get(row.stepId) ?? []) {
          unsatisfied.set(child, (unsatisfied.get(child) ?? 0) - 1);
          candidates.add(child);
        }
      }
    });
    const ready = new Map<string, string[]>();
    for (const id of candidates) {
      const step = steps.get(id);
      if (step === undefined || unsatisfied.get(id) !== 0 || state.get(id) !== 'pending') continue;
      ready.set(step.taskId, [...(ready.get(step.taskId) ?? []), step.name]);
    }
    for (const [taskId, stepNames] of ready)
      keys.push(eventKey('workflow.viable_steps_discovered', { taskId, stepNames }));
  }
  return keys.sort();
}
