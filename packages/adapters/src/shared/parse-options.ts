import type { z } from 'zod';
import { AdapterError } from './errors';

/**
 * Turns zod issues into one line per field: `logger: expected a pino-compatible logger`. The
 * path names the field so that a user can find it in their code.
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

/** Validates the options of `factory` with `schema`, or throws `ADAPTER_OPTIONS_INVALID` naming each bad field. */
export function parseOptions<S extends z.ZodType>(factory: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new AdapterError(
    'ADAPTER_OPTIONS_INVALID',
    `Invalid options for ${factory}: ${describeIssues(result.error.issues)}`,
  );
}
