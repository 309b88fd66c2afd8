import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_MAPPINGS, ORIGINAL_EVENT_MAPPINGS } from './default-mappings';
import type { EventMapping } from './event-mapping';

const row = (m: EventMapping) => [m.eventName, m.backends.join('+'), m.samplingRate, m.priority];

describe('default routing table', () => {
  it("keeps the original Tasker's table entry for entry", () => {
    expect(ORIGINAL_EVENT_MAPPINGS.map(row)).toEqual([
      ['task.initialize_requested', 'trace+metrics', 1, 'normal'],
      ['task.start_requested', 'trace+metrics', 1, 'normal'],
      ['task.completed', 'trace+metrics', 1, 'normal'],
      ['task.failed', 'trace+metrics', 1, 'normal'],
      ['step.execution_requested', 'trace+metrics', 1, 'normal'],
      ['step.completed', 'trace+metrics', 1, 'normal'],
      ['step.failed', 'trace+metrics', 1, 'normal'],
      ['step.retry_requested', 'trace+metrics', 1, 'normal'],
      ['workflow.viable_steps_discovered', 'trace+metrics', 1, 'normal'],
      ['observability.task.enqueue', 'metrics', 1, 'high'],
      ['observability.task.finalize', 'trace', 1, 'normal'],
      ['observability.step.backoff', 'trace+metrics', 1, 'normal'],
      ['observability.step.find_viable', 'trace', 1, 'normal'],
      ['observability.step.handle', 'trace', 1, 'normal'],
      ['observability.step.skip', 'trace+metrics', 1, 'normal'],
      ['observability.step.max_retries_reached', 'trace+metrics', 1, 'high'],
      ['step.before_handle', 'trace', 1, 'normal'],
      ['database.query_executed', 'trace+metrics', 0.1, 'normal'],
      ['dependency.resolved', 'trace', 1, 'normal'],
      ['batch.step_execution', 'trace+metrics', 1, 'normal'],
      ['memory.spike_detected', 'metrics', 1, 'critical'],
      ['performance.slow_operation', 'trace+metrics', 1, 'high'],
    ]);
  });

  it('adds cancellations, manual resolutions, task retries, and outcomes to logs', () => {
    const byName = new Map(DEFAULT_EVENT_MAPPINGS.map((m) => [m.eventName, m]));
    for (const name of [
      'task.cancelled',
      'task.resolved_manually',
      'task.retry_requested',
      'step.cancelled',
      'step.resolved_manually',
    ]) {
      expect(byName.get(name)?.backends).toEqual(['trace', 'metrics', 'logs']);
    }
    for (const name of [
      'task.completed',
      'task.failed',
      'step.completed',
      'step.failed',
      'step.retry_requested',
    ]) {
      expect(byName.get(name)?.backends).toEqual(['trace', 'metrics', 'logs']);
    }
    expect(byName.get('observability.step.max_retries_reached')?.backends).toEqual([
      'trace',
      'metrics',
      'logs',
    ]);
    expect(byName.get('observability.step.max_retries_reached')?.priority).toBe('high');
    // Everything else is unchanged from the original.
    const changed = new Set([
      'task.completed',
      'task.failed',
      'step.completed',
      'step.failed',
      'step.retry_requested',
      'observability.step.max_retries_reached',
    ]);
    for (const original of ORIGINAL_EVENT_MAPPINGS) {
      if (!changed.has(original.eventName)) expect(byName.get(original.eventName)).toEqual(original);
    }
    expect(DEFAULT_EVENT_MAPPINGS).toHaveLength(ORIGINAL_EVENT_MAPPINGS.length + 5);
    expect(DEFAULT_EVENT_MAPPINGS.filter((m) => m.backends.includes('logs'))).toHaveLength(11);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_EVENT_MAPPINGS)).toBe(true);
    expect(DEFAULT_EVENT_MAPPINGS.every((m) => Object.isFrozen(m))).toBe(true);
  });
});
