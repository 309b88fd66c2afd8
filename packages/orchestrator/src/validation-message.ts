import type { z } from 'zod';

/**
 * Turns zod issues into one line per field: `steps.1.retryLimit: expected an integer ≥ 0,
 * received -1`. The path names the field, so a user can find it in their definition or config.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): string {
  return issues
    .map((issue) => {
      const base = [...(prefix === '' ? [] : [prefix]), ...issue.path.map(String)];
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => `${[...base, key].join('.')}: unknown field`).join('; ');
      }
      const path = base.length > 0 ? base.join('.') : '(root)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** `1.5`, `"urgent"`, `undefined`: how a received value is quoted in an error message. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
