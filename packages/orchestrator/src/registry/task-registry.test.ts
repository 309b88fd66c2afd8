import { describe, expect, it } from 'vitest';
import { defineTask } from '../definitions/define-task';
import { createTaskRegistry } from './task-registry';

const def = (name: string, version?: string, namespace?: string) =>
  defineTask({ name, version, namespace, steps: [{ name: 'a', handler: async () => version }] });

describe('task registry', () => {
  it('looks up exactly, with the original defaults namespace "default" and version "0.1.0"', () => {
    const registry = createTaskRegistry([def('x'), def('x', '1.0.0'), def('x', '1.0.0', 'shop')]);
    expect(registry.resolve({ name: 'x' }).version).toBe('0.1.0');
    expect(registry.resolve({ name: 'x', version: '1.0.0' }).namespace).toBe('default');
    expect(registry.resolve({ namespace: 'shop', name: 'x', version: '1.0.0' }).namespace).toBe('shop');
    expect(registry.namespaces()).toEqual(['default', 'shop']);
  });

  it('resolves latest and semver ranges to the highest match', () => {
    const registry = createTaskRegistry([
      def('x', '1.0.0'),
      def('x', '1.4.2'),
      def('x', '2.0.0'),
      def('x', '0.9.0'),
    ]);
    expect(registry.resolve({ name: 'x', version: 'latest' }).version).toBe('2.0.0');
    expect(registry.resolve({ name: 'x', version: '^1.0.0' }).version).toBe('1.4.2');
    expect(registry.resolve({ name: 'x', version: '<1' }).version).toBe('0.9.0');
    expect(() => registry.resolve({ name: 'x', version: '^3' })).toThrow(
      'No task default.x matches version "^3" (registered: 0.9.0, 1.0.0, 1.4.2, 2.0.0)',
    );
    expect(registry.list().map((d) => d.version)).toEqual(['0.9.0', '1.0.0', '1.4.2', '2.0.0']);
  });

  it('throws on a duplicate unless replace is given', () => {
    const registry = createTaskRegistry([def('x', '1.0.0')]);
    expect(() => registry.register(def('x', '1.0.0'))).toThrow('Task default.x@1.0.0 is already registered');
    const replacement = def('x', '1.0.0');
    registry.register(replacement, { replace: true });
    expect(registry.resolve({ name: 'x', version: '1.0.0' })).toBe(replacement);
  });
});
