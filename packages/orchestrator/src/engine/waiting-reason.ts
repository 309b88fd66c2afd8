/**
 * Why a ready step waits. A step is ready when its task is in progress and it is `pending`
 * with every parent satisfied, or `waiting_for_retry` (due or not). The first reason that
 * holds, in this order:
 *
 * - `concurrency`: it is parked, its concurrency key having as many steps in progress as its
 *   limit (`waiting for concurrency key K (N/L)`);
 * - `rate_limited`: its rate limit put it back to a later time (`rate limited until …`);
 * - `scheduled`: its task's delayed start has not come (`scheduled for …`);
 * - `no_worker`: no live worker claims its key. A worker is live when it runs, has not
 *   stopped, and beat within three of its heartbeat intervals (and at least `DEAD_AFTER_MS`).
 *   Steps written before claim routing (key `''`) can run on any worker and get no reason.
 */
import type { StepRecord, TaskDetails, WaitingReason } from '../store/records';
import type { WorkerRecord } from '../store/task-store';
import { DEAD_AFTER_MS } from './presence';

/** A worker runs, has not stopped, and beat within three intervals (and `DEAD_AFTER_MS`) of `now`. */
export function isLiveWorker(w: WorkerRecord, now: number): boolean {
  return (
    w.running &&
    w.stoppedAt === undefined &&
    now - w.heartbeatAt <= Math.max(3 * w.heartbeatEveryMs, DEAD_AFTER_MS)
  );
}

/** The claim keys of every live worker among `workers` at `now`. */
export function liveClaimKeys(workers: readonly WorkerRecord[], now: number): Set<string> {
  const keys = new Set<string>();
  for (const w of workers) if (isLiveWorker(w, now)) for (const k of w.claimKeys) keys.add(k);
  return keys;
}

/** Steps of `task` that are ready to run and would need a worker. */
export function readySteps(task: TaskDetails): StepRecord[] {
  if (task.state !== 'in_progress') return [];
  return task.steps.filter(
    (s) => (s.state === 'pending' && s.pendingParents === 0) || s.state === 'waiting_for_retry',
  );
}

/** The reason a ready step with this key waits, or undefined when a live worker claims it. */
export function waitingReasonFor(
  step: StepRecord,
  live: ReadonlySet<string>,
  now: number,
  task?: Pick<TaskDetails, 'runAt'>,
  running?: ReadonlyMap<string, number>,
): WaitingReason | undefined {
  if (step.hold === 'concurrency' && step.concurrency !== undefined) {
    const n = running?.get(step.concurrency.key);
    return {
      code: 'concurrency',
      message: `waiting for concurrency key ${step.concurrency.key} (${n ?? '?'}/${step.concurrency.limit})`,
    };
  }
  if (step.readyAt !== undefined && step.readyAt > now) {
    if (step.hold === 'rate')
      return {
        code: 'rate_limited',
        message: `rate limited until ${new Date(step.readyAt).toISOString()}`,
        until: step.readyAt,
      };
    if (step.state === 'pending' && task?.runAt !== undefined && task.runAt > now)
      return {
        code: 'scheduled',
        message: `scheduled for ${new Date(task.runAt).toISOString()}`,
        until: task.runAt,
      };
  }
  if (step.claimKey === '' || live.has(step.claimKey)) return undefined;
  const definition = step.claimKey.slice(step.claimKey.indexOf(' ') + 1);
  return {
    code: 'no_worker',
    message: `no live worker runs ${definition} in queue "${step.queue}"`,
  };
}

/**
 * `task` with each ready step that waits marked with its reason; `running` counts the steps in
 * progress of the parked steps' concurrency keys.
 */
export function withWaitingReasons(
  task: TaskDetails,
  workers: readonly WorkerRecord[],
  now: number,
  running: ReadonlyMap<string, number> = new Map(),
): TaskDetails {
  const ready = readySteps(task);
  if (ready.length === 0) return task;
  const live = liveClaimKeys(workers, now);
  const waiting = new Map<string, WaitingReason>();
  for (const s of ready) {
    const reason = waitingReasonFor(s, live, now, task, running);
    if (reason !== undefined) waiting.set(s.id, reason);
  }
  if (waiting.size === 0) return task;
  return {
    ...task,
    steps: task.steps.map((s) => {
      const reason = waiting.get(s.id);
      return reason === undefined ? s : { ...s, waitingReason: reason };
    }),
  };
}
