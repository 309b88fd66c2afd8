import { describe, expect, it } from 'vitest';
import {
  CATALOG_EVENT_NAMES,
  isCatalogEvent,
  ObservabilityEvents,
  RESERVED_EVENT_NAMESPACES,
  StepEvents,
  SystemEvents,
  TaskEvents,
  WorkflowEvents,
} from './catalog';

describe('system event catalog', () => {
  it('has the original names: 8 task, 10 step, 19 workflow, 8 observability, 5 system events', () => {
    expect(Object.values(TaskEvents)).toEqual([
      'task.initialize_requested',
      'task.start_requested',
      'task.completed',
      'task.failed',
      'task.retry_requested',
      'task.cancelled',
      'task.resolved_manually',
      'task.before_transition',
    ]);
    expect(Object.values(StepEvents)).toEqual([
      'step.initialize_requested',
      'step.execution_requested',
      'step.before_handle',
      'step.handle',
      'step.completed',
      'step.failed',
      'step.retry_requested',
      'step.cancelled',
      'step.resolved_manually',
      'step.before_transition',
    ]);
    expect(Object.values(WorkflowEvents).map((n) => n.replace(/^workflow\./, ''))).toEqual([
      'task_started',
      'task_completed',
      'task_failed',
      'step_completed',
      'step_failed',
      'viable_steps_discovered',
      'no_viable_steps',
      'orchestration_requested',
      'task_finalization_started',
      'task_finalization_completed',
      'task_reenqueue_started',
      'task_reenqueue_requested',
      'task_reenqueue_failed',
      'task_reenqueue_delayed',
      'task_state_unclear',
      'step_execution_failed',
      'viable_steps_batch_ready',
      'steps_execution_started',
      'steps_execution_completed',
    ]);
    expect(Object.values(ObservabilityEvents)).toEqual([
      'observability.task.handle',
      'observability.task.enqueue',
      'observability.task.finalize',
      'observability.step.handle',
      'observability.step.find_viable',
      'observability.step.backoff',
      'observability.step.skip',
      'observability.step.max_retries_reached',
    ]);
    expect(Object.values(SystemEvents)).toEqual([
      'database.query_executed',
      'dependency.resolved',
      'batch.step_execution',
      'memory.spike_detected',
      'performance.slow_operation',
    ]);
    expect(CATALOG_EVENT_NAMES).toHaveLength(50);
    expect(new Set(CATALOG_EVENT_NAMES).size).toBe(50);
  });

  it('tells catalog events from other names', () => {
    expect(isCatalogEvent('step.completed')).toBe(true);
    expect(isCatalogEvent('observability.step.backoff')).toBe(true);
    expect(isCatalogEvent('step.completedx')).toBe(false);
    expect(isCatalogEvent('order.placed')).toBe(false);
  });

  it('reserves every catalog namespace and "test"', () => {
    const namespaces = new Set(CATALOG_EVENT_NAMES.map((n) => n.split('.')[0]));
    for (const ns of namespaces) expect(RESERVED_EVENT_NAMESPACES).toContain(ns);
    expect(RESERVED_EVENT_NAMESPACES).toContain('test');
    expect(RESERVED_EVENT_NAMESPACES).toHaveLength(10);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(CATALOG_EVENT_NAMES)).toBe(true);
    expect(Object.isFrozen(RESERVED_EVENT_NAMESPACES)).toBe(true);
  });
});
