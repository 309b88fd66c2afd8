import { describe, expect, it } from 'vitest';
import { duration, ruleLabel, taskDetails } from './format';

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

describe('duration and ruleLabel', () => {
  it('writes milliseconds in the largest unit that holds them exactly', () => {
    expect([604_800_000, 5_400_000, 600_000, 90_000, 1_500, 0].map(duration)).toEqual([
      '7 d',
      '90 min',
      '10 min',
      '90 s',
      '1500 ms',
      '0 ms',
    ]);
  });

  it('names the tasks a retention rule covers', () => {
    expect(ruleLabel({ state: 'complete', namespace: 'billing' })).toBe('complete in billing');
    expect(ruleLabel({ state: 'error', namespace: null, excluded_namespaces: [] })).toBe(
      'error in every namespace',
    );
    expect(ruleLabel({ state: 'complete', namespace: null, excluded_namespaces: ['billing', 'ops'] })).toBe(
      'complete in every namespace but billing, ops',
    );
  });
});
