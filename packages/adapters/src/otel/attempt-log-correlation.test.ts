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
    attempts.remember('s-1', { attempt: 2, traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa', flags: 1 });
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
    attempts.remember('s-1', {
      attempt: 1,
      traceId: 'ffffffffffffffffffffffffffffffff',
      spanId: 'aaaaaaaaaaaaaaaa',
      flags: 1,
    });
    const f = attemptLogTraceFields(attempts)(
      event('step.completed', { taskId: 't', stepId: 's-1', attempt: 1, traceContext }),
    );
    expect(f?.span_id).toBe(ROOT);
  });

  it('remembers an attempt for at least limit / 2 later attempts, and holds at most limit', () => {
    const attempts = new AttemptSpanIds(4);
    attempts.remember('a', { attempt: 1, traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa', flags: 1 });
    attempts.remember('b', { attempt: 1, traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa', flags: 1 });
    attempts.remember('a', { attempt: 2, traceId: TRACE, spanId: 'bbbbbbbbbbbbbbbb', flags: 1 }); // the current generation is full: a new one
    attempts.remember('c', { attempt: 1, traceId: TRACE, spanId: 'cccccccccccccccc', flags: 1 });
    expect(attempts.latest('a')?.spanId).toBe('bbbbbbbbbbbbbbbb'); // the newer generation wins
    expect(attempts.latest('b')?.attempt).toBe(1);
    expect(attempts.size).toBe(4);
    attempts.remember('d', { attempt: 1, traceId: TRACE, spanId: 'dddddddddddddddd', flags: 1 }); // drops the generation of a#1 and b
    expect(attempts.latest('b')).toBeUndefined();
    expect(attempts.latest('a')?.spanId).toBe('bbbbbbbbbbbbbbbb');
    expect(attempts.size).toBe(3);
  });

  it('keeps a running attempt past its generation, and forgets it once it ended', () => {
    const attempts = new AttemptSpanIds(2);
    const running = { attempt: 1, traceId: TRACE, spanId: 'aaaaaaaaaaaaaaaa', flags: 1, running: true };
    attempts.remember('long', running);
    for (const id of ['b', 'c', 'd', 'e'])
      attempts.remember(id, { attempt: 1, traceId: TRACE, spanId: ROOT, flags: 1 });
    expect(attempts.latest('long')).toBe(running);
    expect(attempts.latest('b')).toBeUndefined();
    running.running = false;
    for (const id of ['f', 'g'])
      attempts.remember(id, { attempt: 1, traceId: TRACE, spanId: ROOT, flags: 1 });
    expect(attempts.latest('long')).toBeUndefined();
  });
});
