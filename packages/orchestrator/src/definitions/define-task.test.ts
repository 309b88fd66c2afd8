import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTaskerError } from '../errors';
import { defineTask } from './define-task';

const noop = async () => null;

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isTaskerError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a throw');
}

describe('defineTask', () => {
  it('applies the original defaults and orders steps parents first', () => {
    const def = defineTask({
      name: 'diamond',
      steps: [
        { name: 'd', handler: noop, dependsOn: ['b', 'c'] },
        { name: 'b', handler: noop, dependsOn: ['a'] },
        { name: 'c', handler: 'named', dependsOn: ['a'] },
        { name: 'a', handler: noop },
      ],
    });
    expect(def.key).toBe('default.diamond@0.1.0');
    expect(def.steps.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(def.steps[0]).toMatchObject({ retryable: true, retryLimit: 3, skippable: false, dependsOn: [] });
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.steps[0])).toBe(true);
  });

  it('reports a cycle with its path', () => {
    const error = codeOf(() =>
      defineTask({
        name: 'loop',
        version: '1.0.0',
        steps: [
          { name: 'a', handler: noop },
          { name: 'b', handler: noop, dependsOn: ['a', 'd'] },
          { name: 'c', handler: noop, dependsOn: ['b'] },
          { name: 'd', handler: noop, dependsOn: ['c'] },
        ],
      }),
    );
    expect(error.code).toBe('DEFINITION_CYCLE');
    expect(error.message).toBe('Invalid task definition default.loop@1.0.0: dependency cycle b → c → d → b');
  });

  it('rejects a self-dependency as a cycle', () => {
    const error = codeOf(() =>
      defineTask({ name: 'self', steps: [{ name: 'a', handler: noop, dependsOn: ['a'] }] }),
    );
    expect(error.message).toContain('dependency cycle a → a');
  });

  it('names an unknown dependency', () => {
    const error = codeOf(() =>
      defineTask({ name: 'x', steps: [{ name: 'charge', handler: noop, dependsOn: ['reserve'] }] }),
    );
    expect(error).toEqual({
      code: 'DEFINITION_INVALID',
      message: 'Invalid task definition default.x@0.1.0: step "charge" depends on unknown step "reserve"',
    });
  });

  it('rejects duplicate step names, bad versions and bad fields, naming the field', () => {
    expect(
      codeOf(() =>
        defineTask({
          name: 'x',
          steps: [
            { name: 'a', handler: noop },
            { name: 'a', handler: noop },
          ],
        }),
      ).message,
    ).toContain('step "a" is defined twice');
    expect(
      codeOf(() => defineTask({ name: 'x', version: '1.0', steps: [{ name: 'a', handler: noop }] })).message,
    ).toContain('version: expected a semver version such as "1.0.0", received "1.0"');
    expect(
      codeOf(() => defineTask({ name: 'x', steps: [{ name: 'a', handler: noop, retryLimit: -1 }] })).message,
    ).toContain('steps.0.retryLimit: expected an integer ≥ 0, received -1');
    expect(codeOf(() => defineTask({ name: 'x', steps: [] })).message).toContain(
      'steps: expected at least one step',
    );
  });

  it('validates contexts with zod or JSON Schema, naming the field', () => {
    const zodDef = defineTask({
      name: 'z',
      contextSchema: z.object({ order: z.object({ id: z.string() }) }),
      steps: [{ name: 'a', handler: noop }],
    });
    expect(zodDef.validateContext({ order: { id: 'o1' } })).toEqual({
      ok: true,
      value: { order: { id: 'o1' } },
    });
    const bad = zodDef.validateContext({ order: { id: 7 } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/^context\.order\.id: /);

    const jsonDef = defineTask({
      name: 'j',
      contextSchema: { type: 'object', required: ['order_id'], properties: { order_id: { type: 'string' } } },
      steps: [{ name: 'a', handler: noop }],
    });
    expect(jsonDef.validateContext({ order_id: 'o' }).ok).toBe(true);
    expect(jsonDef.validateContext({})).toEqual({ ok: false, message: 'context.order_id: is required' });
    expect(jsonDef.validateContext({ order_id: 3 })).toEqual({
      ok: false,
      message: 'context.order_id: must be string',
    });
  });

  it('rejects an invalid JSON Schema at definition time', () => {
    const error = codeOf(() =>
      defineTask({
        name: 'j',
        contextSchema: { type: 'no-such-type' },
        steps: [{ name: 'a', handler: noop }],
      }),
    );
    expect(error.code).toBe('DEFINITION_INVALID');
    expect(error.message).toContain('contextSchema:');
  });

  it('forces retryLimit 0 for a non-retryable step', () => {
    const def = defineTask({
      name: 'x',
      steps: [{ name: 'a', handler: noop, retryable: false, retryLimit: 5 }],
    });
    expect(def.steps[0]?.retryLimit).toBe(0);
  });
});
