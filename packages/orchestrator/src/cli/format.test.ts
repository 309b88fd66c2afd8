import { describe, expect, it } from 'vitest';
import { taskDetails } from './format';

describe('taskDetails', () => {
  const task = {
    task_id: 't-1',
    namespace: 'shop',
    name: 'checkout',
    version: '2.0.0',
    status: 'in_progress',
    created_at: '2026-12-06T00:00:00.000Z',
    completed_at: null,
  };
  const step = {
    name: 'charge',
    workflow_step_id: 's-1',
    status: 'pending',
    attempts: 0,
    duration_ms: null,
    error: null,
    next_attempt_at: null,
  };

  it('shows why a ready step waits', () => {
    const text = taskDetails({
      ...task,
      workflow_steps: [
        {
          ...step,
          waiting_reason: {
            code: 'no_worker',
            message: 'no live worker runs shop/checkout@2.0.0 in queue "default"',
          },
        },
      ],
    });
    expect(text).toContain('  charge: waiting: no live worker runs shop/checkout@2.0.0 in queue "default"');
  });

  it('says nothing of waiting when nothing holds a step back, or the server predates the field', () => {
    expect(taskDetails({ ...task, workflow_steps: [{ ...step, waiting_reason: null }] })).not.toContain(
      'waiting',
    );
    expect(taskDetails({ ...task, workflow_steps: [step] })).not.toContain('waiting');
  });
});
