import type { z } from 'zod';

/**
 * Turns zod issues into one line per field: `samplingRate: expected a number from 0 to 1,
 * received 1.5`. The path names the field so that a user can find it in their config.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys
          .map((key) => `${[...issue.path.map(String), key].join('.')}: unknown field`)
          .join('; ');
      }
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
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
