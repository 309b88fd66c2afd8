import { describe, expect, it } from 'vitest';
import {
  compareSpecificity,
  isDottedEventName,
  parseEventPattern,
  patternMatches,
  patternProblem,
} from './event-pattern';

const matches = (pattern: string, name: string) =>
  patternMatches(parseEventPattern(pattern), name.split('.'));

describe('event patterns', () => {
  it('matches exact names only exactly', () => {
    expect(matches('step.completed', 'step.completed')).toBe(true);
    expect(matches('step.completed', 'step.failed')).toBe(false);
    expect(matches('step.completed', 'step.completed.extra')).toBe(false);
  });

  it('matches one segment with *', () => {
    expect(matches('step.*', 'step.completed')).toBe(true);
    expect(matches('step.*', 'step.a.b')).toBe(false);
    expect(matches('step.*', 'task.completed')).toBe(false);
    expect(matches('*.completed', 'task.completed')).toBe(true);
    expect(matches('observability.*.backoff', 'observability.step.backoff')).toBe(true);
  });

  it('matches one or more trailing segments with **', () => {
    expect(matches('observability.**', 'observability.step.backoff')).toBe(true);
    expect(matches('observability.**', 'observability.task')).toBe(true);
    expect(matches('observability.**', 'observability')).toBe(false);
    expect(matches('**', 'database.query_executed')).toBe(true);
    expect(matches('**', 'a.b.c.d')).toBe(true);
  });

  it('ranks literal over * over **, left to right', () => {
    const order = ['step.completed', 'step.*', '*.completed', 'step.**', '**'].map(parseEventPattern);
    const shuffled = [order[3], order[0], order[4], order[2], order[1]].map((p) => p!);
    expect(shuffled.sort(compareSpecificity).map((p) => p.source)).toEqual([
      'step.completed',
      'step.*',
      'step.**',
      '*.completed',
      '**',
    ]);
    expect(compareSpecificity(parseEventPattern('a.*.**'), parseEventPattern('a.**'))).toBeLessThan(0);
  });

  it('explains what is wrong with a bad pattern', () => {
    expect(patternProblem('')).toBe('must not be empty');
    expect(patternProblem('a.**.b')).toBe('"**" may only be the last segment, in "a.**.b"');
    expect(patternProblem('a.')).toBe('has an empty segment, in "a."');
    expect(patternProblem('a.b!')).toContain('segment "b!"');
    expect(patternProblem('a.*')).toBeUndefined();
  });

  it('accepts only concrete dotted names as event names', () => {
    expect(isDottedEventName('order.fulfilled')).toBe(true);
    expect(isDottedEventName('order.line_item.added')).toBe(true);
    expect(isDottedEventName('order')).toBe(false);
    expect(isDottedEventName('order.*')).toBe(false);
    expect(isDottedEventName('order..x')).toBe(false);
  });
});
