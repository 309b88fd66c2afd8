import { describe, expect, it } from 'vitest';
import { isTaskerError } from '../errors';
import { assertStepTransition, canTransitionStep, STEP_STATES, STEP_TRANSITIONS } from './step-states';
import { assertTaskTransition, canTransitionTask, TASK_STATES, TASK_TRANSITIONS } from './task-states';

describe('task state machine', () => {
  it('allows the lifecycle transitions and the retry of an errored task', () => {
    expect(canTransitionTask(null, 'pending')).toBe(true);
    expect(canTransitionTask('pending', 'in_progress')).toBe(true);
    expect(canTransitionTask('in_progress', 'complete')).toBe(true);
    expect(canTransitionTask('in_progress', 'error')).toBe(true);
    expect(canTransitionTask('error', 'in_progress')).toBe(true);
  });

  it('throws a typed error for a transition out of a final state', () => {
    for (const to of TASK_STATES) {
      expect(() => assertTaskTransition('complete', to)).toThrowError(/Invalid task transition complete →/);
    }
    try {
      assertTaskTransition('cancelled', 'in_progress');
      expect.unreachable();
    } catch (error) {
      expect(isTaskerError(error) && error.code).toBe('INVALID_TRANSITION');
      expect(error).toMatchObject({ entity: 'task', from: 'cancelled', to: 'in_progress' });
    }
  });

  it('names only known states in its table', () => {
    for (const targets of Object.values(TASK_TRANSITIONS)) {
      for (const t of targets) expect(TASK_STATES).toContain(t);
    }
  });
});

describe('step state machine', () => {
  it('has a real retry path: error → pending and in_progress → waiting_for_retry → in_progress', () => {
    expect(canTransitionStep('error', 'pending')).toBe(true);
    expect(canTransitionStep('in_progress', 'waiting_for_retry')).toBe(true);
    expect(canTransitionStep('waiting_for_retry', 'in_progress')).toBe(true);
  });

  it('skips only pending steps and never leaves a final state', () => {
    expect(canTransitionStep('pending', 'skipped')).toBe(true);
    expect(canTransitionStep('in_progress', 'skipped')).toBe(false);
    for (const from of ['complete', 'skipped', 'cancelled', 'resolved_manually'] as const) {
      for (const to of STEP_STATES) expect(canTransitionStep(from, to)).toBe(false);
    }
    expect(() => assertStepTransition('complete', 'pending', 'step "a"')).toThrowError(
      'Invalid step transition complete → pending: step "a"',
    );
  });

  it('names only known states in its table', () => {
    for (const targets of Object.values(STEP_TRANSITIONS)) {
      for (const t of targets) expect(STEP_STATES).toContain(t);
    }
  });
});
