import { Writable } from 'node:stream';
import { CATALOG_EVENT_NAMES, createEventMapping, createEventRouter, type RoutedEvent } from '@tasker/router';
import { runBackendContract, SAMPLE_PAYLOADS } from '@tasker/router/testing';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { levelOf } from './log-levels';
import { createLogsBackend, type LogsBackend } from './logs-backend';

/** A real pino logger writing JSON lines into memory. */
function memoryLogger(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

let nextId = 0;

function event(name: string, payload: unknown, samplingRate = 1): RoutedEvent {
  return {
    id: `event-${++nextId}`,
    name,
    payload,
    timestamp: 0,
    mapping: createEventMapping({ eventName: name, backends: ['logs'] }),
    samplingRate,
  };
}

runBackendContract(
  { describe, it, expect },
  {
    name: 'logs (pino)',
    create: () => createLogsBackend({ logger: memoryLogger().logger }),
    // A debug-level logger writes one line for every event.
    recorded: { count: (backend) => (backend as LogsBackend).stats().logged, events: CATALOG_EVENT_NAMES },
  },
);

describe('levelOf', () => {
  it('follows the outcome as the original did', () => {
    expect(levelOf('task.failed')).toBe('error');
    expect(levelOf('step.failed')).toBe('error');
    expect(levelOf('workflow.step_execution_failed')).toBe('error');
    expect(levelOf('observability.step.max_retries_reached')).toBe('error');
    expect(levelOf('task.completed')).toBe('info');
    expect(levelOf('step.completed')).toBe('info');
    expect(levelOf('workflow.task_started')).toBe('info');
    expect(levelOf('task.start_requested')).toBe('info');
    expect(levelOf('step.retry_requested')).toBe('warn');
    expect(levelOf('task.cancelled')).toBe('warn');
    expect(levelOf('step.before_transition')).toBe('debug');
    expect(levelOf('shop.order_fulfilled')).toBe('debug');
  });
});

describe('createLogsBackend', () => {
  it('writes one JSON line per event with the level by outcome, the task id as correlation id and a short message', () => {
    const { logger, lines } = memoryLogger();
    const b = createLogsBackend({ logger });
    b.handle(event('task.completed', SAMPLE_PAYLOADS['task.completed']));
    b.handle(event('step.failed', { ...SAMPLE_PAYLOADS['step.failed'], attempt: 2 }));
    b.handle(event('step.retry_requested', SAMPLE_PAYLOADS['step.retry_requested']));
    expect(lines.map((l) => [l.level, l.msg, l.correlationId, l.event])).toEqual([
      [30, 'task ecommerce.process_order@1.2.0 completed in 120 ms', 'task-0001', 'task.completed'],
      [50, 'step charge_card failed (attempt 2/4) in 120 ms: card declined', 'task-0001', 'step.failed'],
      [
        40,
        'step charge_card retry requested (attempt 2/4), next attempt in 1000 ms: card declined',
        'task-0001',
        'step.retry_requested',
      ],
    ]);
    expect(lines[1]).toMatchObject({
      taskId: 'task-0001',
      stepId: 'step-0001',
      stepName: 'charge_card',
      error: { name: 'CardDeclinedError', message: 'card declined', code: 'card_declined' },
    });
    expect(lines[0]).not.toHaveProperty('traceContext');
  });

  it('marks sampled events with their rate', () => {
    const { logger, lines } = memoryLogger();
    createLogsBackend({ logger }).handle(
      event('database.query_executed', SAMPLE_PAYLOADS['database.query_executed'], 0.1),
    );
    expect(lines[0]).toMatchObject({ level: 20, samplingRate: 0.1, msg: 'database query executed in 2 ms' });
  });

  it('honours the logger’s level: below it nothing is written', () => {
    const { logger, lines } = memoryLogger('warn');
    const b = createLogsBackend({ logger });
    b.handle(event('task.completed', SAMPLE_PAYLOADS['task.completed']));
    b.handle(event('task.failed', SAMPLE_PAYLOADS['task.failed']));
    expect(lines.map((l) => l.event)).toEqual(['task.failed']);
  });

  it('takes a custom level function and any pino-compatible logger', () => {
    const seen: string[] = [];
    const sink = (level: string) => (_fields: object, message: string) =>
      void seen.push(`${level} ${message}`);
    const b = createLogsBackend({
      logger: { error: sink('error'), warn: sink('warn'), info: sink('info'), debug: sink('debug') },
      level: () => 'warn',
    });
    b.handle(event('task.completed', { taskId: 't', namespace: 'n', taskName: 'x', version: '1.0.0' }));
    expect(seen).toEqual(['warn task n.x@1.0.0 completed']);
  });

  it('never throws when the logger does; counts and warns once', () => {
    const warnings: string[] = [];
    const boom = () => {
      throw new Error('disk full');
    };
    const b = createLogsBackend({
      logger: { error: boom, warn: boom, info: boom, debug: boom },
      warn: (m) => warnings.push(m),
    });
    for (let i = 0; i < 3; i++)
      expect(() => b.handle(event('task.failed', SAMPLE_PAYLOADS['task.failed']))).not.toThrow();
    expect(b.stats()).toEqual({ logged: 0, dropped: { logger: 3 } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/disk full/);
  });

  it('clips long strings and ignores fields of the wrong type', () => {
    const { logger, lines } = memoryLogger();
    createLogsBackend({ logger }).handle(
      event('step.failed', {
        taskId: 7,
        stepName: 'x'.repeat(2000),
        attempt: 'one',
        error: { name: 'E', message: 'm' },
      }),
    );
    expect(lines[0]).not.toHaveProperty('taskId');
    expect(lines[0]).not.toHaveProperty('correlationId');
    expect(lines[0]).not.toHaveProperty('attempt');
    expect(String(lines[0]?.stepName).length).toBe(501);
  });

  it('rejects a logger without pino’s methods, naming the field', () => {
    expect(() => createLogsBackend({ logger: console as never })).not.toThrow();
    expect(() => createLogsBackend({ logger: { info() {} } as never })).toThrow(
      /logger: expected a pino-compatible logger/,
    );
  });

  it('writes the task’s trace from its record as pino’s OpenTelemetry instrumentation does', () => {
    const { logger, lines } = memoryLogger();
    const b = createLogsBackend({ logger });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    b.handle(
      event('task.completed', { ...SAMPLE_PAYLOADS['task.completed'], traceContext: { traceparent } }),
    );
    b.handle(
      event('step.failed', {
        ...SAMPLE_PAYLOADS['step.failed'],
        traceContext: { traceparent: traceparent.replace(/01$/, '00') },
      }),
    );
    b.handle(
      event('task.failed', { ...SAMPLE_PAYLOADS['task.failed'], traceContext: { traceparent: 'junk' } }),
    );
    expect(lines.map((l) => [l.trace_id, l.span_id, l.trace_flags])).toEqual([
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', '01'],
      ['4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', '00'],
      [undefined, undefined, undefined],
    ]);
  });

  it('still logs the line when traceFields throws; counts and warns once', () => {
    const { logger, lines } = memoryLogger();
    const warnings: string[] = [];
    const b = createLogsBackend({
      logger,
      warn: (m) => warnings.push(m),
      traceFields: () => {
        throw new Error('no tracer');
      },
    });
    b.handle(event('task.completed', SAMPLE_PAYLOADS['task.completed']));
    b.handle(event('task.completed', SAMPLE_PAYLOADS['task.completed']));
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(b.stats()).toEqual({ logged: 2, dropped: { traceFields: 2 } });
    expect(warnings).toEqual([expect.stringMatching(/traceFields threw.*no tracer/)]);
  });

  it('logs the default table’s outcomes behind a real router', () => {
    const { logger, lines } = memoryLogger();
    const router = createEventRouter({ backends: { logs: createLogsBackend({ logger }) } });
    router.route('step.completed', SAMPLE_PAYLOADS['step.completed']);
    router.route('step.before_handle', SAMPLE_PAYLOADS['step.before_handle']); // not mapped to logs
    expect(lines.map((l) => l.event)).toEqual(['step.completed']);
  });
});
