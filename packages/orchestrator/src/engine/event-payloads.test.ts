import { describe, expect, it } from 'vitest';
import {
  stepPayload,
  stepRequested,
  stepStarted,
  stepTimed,
  stepTransition,
  taskEnded,
  taskPayload,
  taskRequested,
  taskStarted,
  taskTransition,
  viableSteps,
} from './event-payloads';

const task = {
  id: 't-1',
  namespace: 'shop',
  name: 'order',
  version: '1.0.0',
  traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  createdAt: 1_000,
};
const step = stepPayload({ task, stepId: 's-1', stepName: 'charge', attempt: 2, retryLimit: 3 });
const base = taskPayload(task);

/** Fields and their order: the payload as `{ ...base, ...extra }` would make it. */
const same = (made: object, base: object, extra: object) =>
  expect(Object.entries(made)).toEqual(Object.entries({ ...base, ...extra }));

describe('event payloads written out', () => {
  it('hold the base payload’s fields, then the extra ones, in order', () => {
    expect(Object.keys(step)).toEqual([
      'taskId',
      'namespace',
      'taskName',
      'version',
      'traceContext',
      'stepId',
      'stepName',
      'attempt',
      'retryLimit',
    ]);
    same(taskTransition(base, 'pending', 'in_progress'), base, {
      fromState: 'pending',
      toState: 'in_progress',
    });
    same(taskRequested(base, 5), base, { requestedAt: 5 });
    same(taskStarted(base, 5), base, { startedAt: 5 });
    same(taskEnded(base, 1_000, 1_250), base, { startedAt: 1_000, endedAt: 1_250, durationMs: 250 });
    same(stepTransition(step, null, 'pending'), step, { fromState: null, toState: 'pending' });
    same(stepRequested(step, 7), step, { requestedAt: 7 });
    same(stepStarted(step, 7), step, { startedAt: 7 });
    same(stepTimed(step, 7, 19), step, { startedAt: 7, endedAt: 19, durationMs: 12 });
    same(viableSteps(task, ['s-2'], ['ship']), base, { stepIds: ['s-2'], stepNames: ['ship'], count: 1 });
  });
});
