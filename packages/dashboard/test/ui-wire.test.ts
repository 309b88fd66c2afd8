import { TASK_STATES } from '@tasker/orchestrator';
import { describe, expect, it } from 'vitest';
import { TASK_STATES as PAGE_TASK_STATES } from '../ui/task-types';

// The browser bundle cannot import the orchestrator's runtime modules, so the page keeps its own
// list of task states (its filter and badges); this holds it to the orchestrator's.
describe('the page’s wire values', () => {
  it('lists the orchestrator’s task states, in its order', () => {
    expect([...PAGE_TASK_STATES]).toEqual([...TASK_STATES]);
  });
});
