/**
 * The task-finished notification, which wakes `waitFor` for the task it waits on.
 *
 * When a commit moves a task to a state that ends a wait (`complete`, `error`, `cancelled`,
 * `resolved_manually`), the store that committed it wakes its own watchers of that task
 * in-process, and sends `NOTIFY tasker_task_finished` for every other store, in this process or
 * another one. The payload is `<origin>:<task id>,<task id>…`, where the origin names the store
 * that committed: its own listener skips what it already woke. At most
 * {@link MAX_IDS_PER_NOTIFICATION} ids go in one notification (a payload must stay under
 * 8,000 bytes). A lost notification costs latency only: waiters poll as well.
 */
import type { TaskState } from '../states/task-states';
import type { Change } from './records';

/** The channel of task-finished notifications. */
export const FINISHED_CHANNEL = 'tasker_task_finished';

/** Task states that end a wait: the final ones, and `error`. */
export const WAIT_END_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
]);

/** 36-character ids and a comma each, with the origin: 7,437 bytes at most. */
export const MAX_IDS_PER_NOTIFICATION = 200;

/** The tasks that `change` moved into a state that ends a wait. */
export function finishedTaskIds(change: Change): string[] {
  const ids: string[] = [];
  for (const t of change.transitions) if (t.kind === 'task' && WAIT_END_STATES.has(t.to)) ids.push(t.task.id);
  return ids;
}

/** The payloads announcing `taskIds` from `origin`, {@link MAX_IDS_PER_NOTIFICATION} ids each. */
export function finishedPayloads(origin: string, taskIds: readonly string[]): string[] {
  const payloads: string[] = [];
  for (let i = 0; i < taskIds.length; i += MAX_IDS_PER_NOTIFICATION) {
    payloads.push(`${origin}:${taskIds.slice(i, i + MAX_IDS_PER_NOTIFICATION).join(',')}`);
  }
  return payloads;
}

/** The origin and task ids of a payload; a payload without an origin has only ids. */
export function parseFinishedPayload(payload: string): { origin: string; taskIds: string[] } {
  const colon = payload.indexOf(':');
  const ids = colon < 0 ? payload : payload.slice(colon + 1);
  return { origin: colon < 0 ? '' : payload.slice(0, colon), taskIds: ids === '' ? [] : ids.split(',') };
}
