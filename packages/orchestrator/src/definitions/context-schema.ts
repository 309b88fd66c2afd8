/**
 * A task's context schema: a zod schema (anything with `safeParse`) or a JSON Schema object,
 * compiled with Ajv. Either way the result is one `validate` function whose error message names
 * the offending field.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { z } from 'zod';
import { describeIssues } from '../validation-message';

/** A JSON Schema document (draft-07 / 2019-09 subset that Ajv supports). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Anything with zod's `safeParse`: a zod 4 schema. */
export interface ZodLikeSchema {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: z.ZodError };
}

export type ContextSchema = ZodLikeSchema | JsonSchema;

/** Validation outcome: the (possibly transformed) context, or a message naming the fields. */
export type ContextValidation =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

export type ContextValidator = (context: unknown) => ContextValidation;

function isZodLike(schema: ContextSchema): schema is ZodLikeSchema {
  return typeof (schema as { safeParse?: unknown }).safeParse === 'function';
}

/**
 * Compiles a context schema once.
 *
 * @throws Error when a JSON Schema is itself invalid (Ajv's message).
 */
export function compileContextSchema(schema: ContextSchema | undefined): ContextValidator {
  if (schema === undefined) return (context) => ({ ok: true, value: context });
  if (isZodLike(schema)) {
    return (context) => {
      const result = schema.safeParse(context);
      return result.success
        ? { ok: true, value: result.data }
        : { ok: false, message: describeIssues(result.error.issues, 'context') };
    };
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema as Record<string, unknown>);
  return (context) =>
    validate(context)
      ? { ok: true, value: context }
      : { ok: false, message: describeAjvErrors(validate.errors ?? []) };
}

function describeAjvErrors(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => {
      const segments = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (e.keyword === 'required')
        segments.push(String((e.params as { missingProperty: string }).missingProperty));
      if (e.keyword === 'additionalProperties') {
        segments.push(String((e.params as { additionalProperty: string }).additionalProperty));
        return `${['context', ...segments].join('.')}: unknown field`;
      }
      return `${['context', ...segments].join('.')}: ${e.keyword === 'required' ? 'is required' : (e.message ?? e.keyword)}`;
    })
    .join('; ');
}
