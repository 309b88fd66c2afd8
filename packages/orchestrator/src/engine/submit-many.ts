/**
 * `submitMany`: many submits, written in batches of one statement each (`TaskStore.createTasks`).
 *
 * 1. Every request is validated first, as `submit` validates one (its definition, context,
 *    bypassed steps, `runAt`/`delay`, priority, and what the database can store). A bad one is
 *    refused with a `BatchItemError` naming its index and field, and nothing is written.
 * 2. The tasks are then written in batches of `batchSize` (default 1,000), each batch one
 *    statement, so one transaction of its own, and its events published after its commit.
 *    Should a batch fail (the database went away for longer than the store's retries), the
 *    batches before it stay committed: the error is a `SubmitManyError` carrying their results,
 *    and nothing of that batch or the ones after it is written. A failure of the first batch is
 *    thrown as it is, nothing having been written.
 */
import { BatchItemError, isTaskerError, SubmitManyError, TaskerError } from '../errors';
import { assertStorableTask } from '../store/task-plan';
import type { NewTask } from '../store/task-store';
import type { SubmitRequest } from './submit';
import type { SubmitResult } from './tasker-types';

/** Options of `Tasker.submitMany`. */
export interface SubmitManyOptions {
  /**
   * Tasks per statement (each batch is one transaction). Default 1,000; from 1 to 10,000. A
   * batch's statement carries every task's, step's and transition's values as array
   * parameters: larger batches save round trips but hold more memory in one statement.
   */
  readonly batchSize?: number;
}

/** Tasks per statement of `submitMany` unless told otherwise. */
export const DEFAULT_SUBMIT_BATCH_SIZE = 1_000;
/** The largest `batchSize` `submitMany` accepts. */
export const MAX_SUBMIT_BATCH_SIZE = 10_000;

/** What `submitMany` needs of the engine. */
export interface SubmitManySteps {
  /** Validates a request and turns it into the store's task (throws as `submit` would). */
  prepare(request: SubmitRequest): NewTask;
  /** Writes one batch in one statement and publishes its events; answers in input order. */
  write(batch: readonly NewTask[]): Promise<readonly SubmitResult[]>;
}

/** Validates every request, then writes them in batches (see the top of this file). */
export async function submitMany(
  steps: SubmitManySteps,
  requests: readonly SubmitRequest[],
  options: SubmitManyOptions = {},
): Promise<SubmitResult[]> {
  if (!Array.isArray(requests))
    throw new TaskerError('SUBMIT_INVALID', 'requests: expected an array of submit requests');
  const size = options.batchSize ?? DEFAULT_SUBMIT_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_SUBMIT_BATCH_SIZE)
    throw new TaskerError(
      'SUBMIT_INVALID',
      `batchSize: expected an integer from 1 to ${MAX_SUBMIT_BATCH_SIZE}, received ${String(size)}`,
    );
  const inputs = requests.map((request, i) => {
    try {
      if (typeof request !== 'object' || request === null || Array.isArray(request))
        throw new TaskerError('SUBMIT_INVALID', 'expected a submit request (an object)');
      const input = steps.prepare(request);
      assertStorableTask(input);
      return input;
    } catch (error) {
      throw isTaskerError(error) ? new BatchItemError(i, error) : error;
    }
  });
  const results: SubmitResult[] = [];
  for (let from = 0; from < inputs.length; from += size) {
    try {
      const written = await steps.write(inputs.slice(from, from + size));
      for (const r of written) results.push(r);
    } catch (error) {
      if (results.length === 0) throw error;
      throw new SubmitManyError([...results], inputs.length, error);
    }
  }
  return results;
}
