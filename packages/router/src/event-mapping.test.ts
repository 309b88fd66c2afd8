import { describe, expect, it } from 'vitest';
import { isRouterError } from './errors';
import { createEventMapping, type EventMappingInput } from './event-mapping';

function errorOf(input: unknown): { code: string; message: string } {
  try {
    createEventMapping(input as EventMappingInput);
  } catch (error) {
    if (!isRouterError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected createEventMapping to throw');
}

describe('createEventMapping', () => {
  it('fills the original defaults', () => {
    expect(createEventMapping({ eventName: 'task.completed' })).toEqual({
      eventName: 'task.completed',
      backends: ['trace'],
      samplingRate: 1,
      samplingKey: undefined,
      priority: 'normal',
      enabled: true,
      metadata: {},
    });
  });

  it('keeps every given field', () => {
    const m = createEventMapping({
      eventName: 'step.*',
      backends: ['metrics', 'logs'],
      samplingRate: 0.25,
      samplingKey: 'taskId',
      priority: 'critical',
      enabled: false,
      metadata: { owner: 'payments' },
    });
    expect(m).toEqual({
      eventName: 'step.*',
      backends: ['metrics', 'logs'],
      samplingRate: 0.25,
      samplingKey: 'taskId',
      priority: 'critical',
      enabled: false,
      metadata: { owner: 'payments' },
    });
  });

  it('returns a deeply frozen mapping that does not alias its input', () => {
    const backends = ['trace'];
    const metadata = { a: 1 };
    const m = createEventMapping({ eventName: 'task.failed', backends, metadata });
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.backends)).toBe(true);
    expect(Object.isFrozen(m.metadata)).toBe(true);
    backends.push('metrics');
    metadata.a = 2;
    expect(m.backends).toEqual(['trace']);
    expect(m.metadata).toEqual({ a: 1 });
  });

  it('rejects samplingRate 1.5, naming the field and the expected range', () => {
    expect(errorOf({ eventName: 'task.completed', samplingRate: 1.5 })).toEqual({
      code: 'EVENT_MAPPING_INVALID',
      message:
        'Invalid event mapping for "task.completed": samplingRate: expected a number from 0 to 1, received 1.5',
    });
  });

  it('rejects negative, NaN and string sampling rates', () => {
    expect(errorOf({ eventName: 'a.b', samplingRate: -0.1 }).message).toContain(
      'samplingRate: expected a number from 0 to 1, received -0.1',
    );
    expect(errorOf({ eventName: 'a.b', samplingRate: Number.NaN }).message).toContain(
      'samplingRate: expected a number from 0 to 1, received NaN',
    );
    expect(errorOf({ eventName: 'a.b', samplingRate: '0.5' }).message).toContain(
      'samplingRate: expected a number from 0 to 1, received "0.5"',
    );
  });

  it("rejects priority 'urgent', listing the priorities", () => {
    expect(errorOf({ eventName: 'task.completed', priority: 'urgent' }).message).toBe(
      'Invalid event mapping for "task.completed": priority: expected "normal", "high" or "critical", received "urgent"',
    );
  });

  it('rejects an empty event name', () => {
    expect(errorOf({ eventName: '' }).message).toBe(
      'Invalid event mapping for "": eventName: must not be empty',
    );
  });

  it('rejects a missing or non-string event name', () => {
    expect(errorOf({}).message).toBe(
      'Invalid event mapping: eventName: expected a string, received undefined',
    );
    expect(errorOf({ eventName: 42 }).message).toBe(
      'Invalid event mapping: eventName: expected a string, received 42',
    );
  });

  it('rejects malformed names and patterns', () => {
    expect(errorOf({ eventName: 'a..b' }).message).toContain('eventName: has an empty segment, in "a..b"');
    expect(errorOf({ eventName: 'a.**.b' }).message).toContain(
      'eventName: "**" may only be the last segment, in "a.**.b"',
    );
    expect(errorOf({ eventName: 'a.b c' }).message).toContain(
      'eventName: segment "b c" may hold only letters, digits',
    );
  });

  it('rejects a backend name that is not a plain identifier', () => {
    expect(errorOf({ eventName: 'task.completed', backends: ['bad name'] }).message).toBe(
      'Invalid event mapping for "task.completed": backends.0: expected a plain identifier (letters, digits, "_" or "-", not starting with a digit), received "bad name"',
    );
    expect(errorOf({ eventName: 'a.b', backends: ['1trace'] }).message).toContain(
      'backends.0: expected a plain identifier',
    );
    expect(errorOf({ eventName: 'a.b', backends: [7] }).message).toContain(
      'backends.0: expected a backend name string, received 7',
    );
  });

  it('rejects empty, repeated or non-array backends', () => {
    expect(errorOf({ eventName: 'a.b', backends: [] }).message).toContain(
      'backends: expected at least one backend',
    );
    expect(errorOf({ eventName: 'a.b', backends: ['trace', 'trace'] }).message).toContain(
      'backends: expected each backend at most once',
    );
    expect(errorOf({ eventName: 'a.b', backends: 'trace' }).message).toContain(
      'backends: expected an array of backend names, received "trace"',
    );
  });

  it('rejects unknown fields, such as a snake_case key', () => {
    expect(errorOf({ eventName: 'a.b', sampling_rate: 0.5 }).message).toBe(
      'Invalid event mapping for "a.b": sampling_rate: unknown field',
    );
  });

  it('reports every bad field at once', () => {
    const { message } = errorOf({ eventName: 'a.b', samplingRate: 2, priority: 'low', enabled: 'yes' });
    expect(message).toContain('samplingRate:');
    expect(message).toContain('priority:');
    expect(message).toContain('enabled: expected true or false, received "yes"');
  });

  it('rejects input that is not an object', () => {
    expect(errorOf(null).message).toBe('Invalid event mapping: (root): expected an object, received null');
    expect(errorOf('task.completed').message).toBe(
      'Invalid event mapping: (root): expected an object, received "task.completed"',
    );
  });
});
