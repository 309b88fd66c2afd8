import { describe, expect, it } from 'vitest';
import { isTaskerError } from '../errors';
import {
  assertStorableJson,
  assertStorableText,
  jsonProblem,
  MAX_STORED_DEPTH,
  textProblem,
} from './storable';

/** `[[[…1…]]]`, `depth` arrays deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('storable values', () => {
  it('accepts well-formed text, surrogate pairs included', () => {
    expect(textProblem('plain')).toBeUndefined();
    expect(textProblem('😀 ünïcödé \u202e')).toBeUndefined();
    expect(jsonProblem({ a: ['😀', { b: 'c' }], n: 1, t: true, z: null })).toBeUndefined();
  });

  it('finds NUL and lone surrogates in values and keys, and says where', () => {
    expect(jsonProblem({ a: [1, 'x\u0000y'] })).toEqual({
      path: '$.a[1]',
      problem: 'contains U+0000 (NUL), which PostgreSQL cannot store',
    });
    expect(jsonProblem({ ok: 1, bad: '\ud800' })?.path).toBe('$.bad');
    expect(jsonProblem({ ok: 1, bad: 'tail \udc00' })?.problem).toMatch(/lone UTF-16 surrogate/);
    expect(jsonProblem({ outer: { 'k\u0000': 1 } })).toEqual({
      path: '$.outer["k\ufffd"]',
      problem: '(a key) contains U+0000 (NUL), which PostgreSQL cannot store',
    });
    expect(jsonProblem('\u0000')?.path).toBe('$');
  });

  it('refuses nesting past the limit without recursing, however deep', () => {
    expect(jsonProblem(nested(MAX_STORED_DEPTH))).toBeUndefined();
    expect(jsonProblem(nested(MAX_STORED_DEPTH + 1))?.problem).toBe(
      `nests deeper than ${MAX_STORED_DEPTH} levels (the most the store accepts)`,
    );
    // Far deeper than JSON.stringify can go (it overflows the stack at a few thousand).
    const deep = nested(400_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonProblem(deep)?.problem).toMatch(/^nests deeper than/);
  });

  it('throws INPUT_INVALID naming the field', () => {
    const caught = (f: () => void) => {
      try {
        f();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const text = caught(() => assertStorableText('initiator', 'a\u0000'));
    expect(isTaskerError(text) && text.code).toBe('INPUT_INVALID');
    expect((text as Error).message).toBe('initiator: contains U+0000 (NUL), which PostgreSQL cannot store');
    const json = caught(() => assertStorableJson('context', { order: { id: '\ud800' } }));
    expect((json as Error).message).toBe(
      'context.order.id: contains a lone UTF-16 surrogate (not valid Unicode)',
    );
    expect(caught(() => assertStorableJson('context', { fine: ['😀'] }))).toBeUndefined();
    expect(caught(() => assertStorableText('reason', undefined))).toBeUndefined();
  });
});
