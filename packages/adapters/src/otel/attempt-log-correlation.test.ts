import { createEventMapping, type RoutedEvent } from '@tasker/router';
import { describe, expect, it } from 'vitest';
import { AttemptSpanIds, attemptLogTraceFields } from './attempt-log-correlation';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROOT = '00f067aa0ba902b7';
const traceContext = { traceparent: `00-${TRACE}-${ROOT}-01` };

function event(name: string, payload: unknown): RoutedEvent {
  return {
    id: name,
    name,
    payload,
    timestamp: 0,
    mapping: createEventMapping({ eventName: name, backends: ['logs'] }),
    samplingRate: 1,
  };
}

describe('attemptLogTraceFields', () => {
  it('gives a step line its remembered attempt’s span, and the root span otherwise', () => {
    const attempts = new AttemptSpanIds();
    const fields = attemptLogTraceFields(attempts);
    attempts.remember('s-1', 2, TRACE, 'aaaaaaaaaaaaaaaa', 1);
    const step = (attempt: number) =>
      fields(event('step.completed', { taskId: 't', stepId: 's-1', attempt, traceContext }));
    expect(step(2)).toEqual({ trace_id: TRACE, span_id: 'aaaaaaaaaaaaaaaa', trace_flags: '01' });
    expect(step(1)?.span_id).toBe(ROOT); // an older attempt is not the remembered one
    expect(fields(event('task.completed', { taskId: 't', traceContext }))?.span_id).toBe(ROOT);
    // A custom event (no record, no attempt) gets the running attempt, or nothing.
    expect(fields(event('shop.paid', { taskId: 't', stepId: 's-1' }))?.span_id).toBe('aaaaaaaaaaaaaaaa');
    expect(fields(event('shop.paid', { taskId: 't', stepId: 's-9' }))).toBeUndefined();
  });

  it('ignores a remembered span of another trace', () => {
    const attempts = new AttemptSpanIds();
    attempts.remember('s-1', 1, 'ffffffffffffffffffffffffffffffff', 'aaaaaaaaaaaaaaaa', 1);
    const f = attemptLogTraceFields(attempts)(
      event('step.completed', { taskId: 't', stepId: 's-1', attempt: 1, traceContext }),
    );
    expect(f?.span_id).toBe(ROOT);
  });

  it('remembers an attempt for at least limit / 2 later attempts, and holds at most limit', () => {
    const attempts = new AttemptSpanIds(4);
    attempts.remember('a', 1, TRACE, 'aaaaaaaaaaaaaaaa', 1);
    attempts.remember('b', 1, TRACE, 'aaaaaaaaaaaaaaaa', 1);
    attempts.remember('a', 2, TRACE, 'bbbbbbbbbbbbbbbb', 1); // the current generation is full: a new one
    attempts.remember('c', 1, TRACE, 'cccccccccccccccc', 1);
    expect(attempts.latest('a')?.spanId).toBe('bbbbbbbbbbbbbbbb'); // the newer generation wins
    expect(attempts.latest('b')?.attempt).toBe(1);
    expect(attempts.size).toBe(4);
    attempts.remember('d', 1, TRACE, 'dddddddddddddddd', 1); // drops the generation of a#1 and b
    expect(attempts.latest('b')).toBeUndefined();
    expect(attempts.latest('a')?.spanId).toBe('bbbbbbbbbbbbbbbb');
    expect(attempts.size).toBe(3);
  });
});
