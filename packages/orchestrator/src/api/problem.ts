/**
 * The one place where errors become HTTP responses. Every error body is
 * `application/problem+json` (RFC 9457) with a stable `code` and, for validation errors, one
 * entry per field:
 *
 * ```json
 * { "type": "about:blank", "title": "Bad Request", "status": 400, "code": "VALIDATION_FAILED",
 *   "detail": "limit: expected an integer from 1 to 100, received \"x\"",
 *   "errors": [{ "field": "limit", "message": "expected an integer from 1 to 100, received \"x\"" }] }
 * ```
 *
 * Domain errors (`TaskerError` codes) and the REST layer's own (`ApiError` codes) are mapped to
 * statuses by `STATUS_BY_CODE` and nowhere else. Anything unrecognised is a 500 whose body says
 * only "internal error": no message, no stack trace reaches a client.
 */
import type { z } from 'zod';
import { isBatchItemError, isTaskerError, type TaskerErrorCode } from '../errors';
import { type ApiErrorCode, type FieldError, isApiError } from './api-error';

/** HTTP status of every error code, domain or REST. */
export const STATUS_BY_CODE: Readonly<Record<ApiErrorCode | TaskerErrorCode, number>> = Object.freeze({
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  UNKNOWN_TASK: 422,
  IDENTITY_KEY_TAKEN: 409,
  NOT_READY: 503,
  DOCS_UNAVAILABLE: 501,
  INTERNAL_ERROR: 500,
  // Domain errors of the engine.
  TASK_NOT_FOUND: 404,
  STEP_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_EXISTS: 409,
  SCHEDULE_INVALID: 400,
  DEFINITION_NOT_FOUND: 404,
  CONTEXT_INVALID: 422,
  SUBMIT_INVALID: 422,
  INPUT_INVALID: 400,
  INVALID_TRANSITION: 409,
  DEFINITION_INVALID: 500,
  DEFINITION_CYCLE: 500,
  DEFINITION_DUPLICATE: 500,
  HANDLER_NOT_FOUND: 500,
  CONFIG_INVALID: 500,
  STORE_ERROR: 503,
  TASKER_STOPPED: 503,
  WAIT_TIMEOUT: 504,
  RETRYABLE: 500,
  PERMANENT: 500,
  STEP_TIMEOUT: 500,
  STEP_CANCELLED: 500,
});

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The body of every error response. */
export interface Problem {
  readonly type: 'about:blank';
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

/** A response built from a problem. */
export interface ProblemResponse {
  readonly status: number;
  readonly body: Problem;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The response for anything thrown by a handler. `onUnexpected` hears about 5xx errors (the
 * only place they are logged); the client gets a generic message.
 */
export function problemFor(error: unknown, onUnexpected: (error: unknown) => void): ProblemResponse {
  if (isBatchItemError(error)) {
    // A task of `POST /tasks/batch` (whose body calls them `tasks`): the problem of its own
    // error, each field named inside the batch (`tasks[3].context.x`).
    const own = problemFor(error.cause, onUnexpected);
    if (own.status >= 500) return own;
    const at = `tasks[${error.index}]`;
    const errors = (own.body.errors ?? []).map((e) => ({
      field: e.field === '(root)' ? at : `${at}.${e.field}`,
      message: e.message,
    }));
    return build(own.status, own.body.code, `${at}: ${own.body.detail}`, errors, own.headers);
  }
  if (isApiError(error)) {
    const status = STATUS_BY_CODE[error.code];
    return build(status, error.code, error.message, error.errors, error.headers);
  }
  if (isTaskerError(error)) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status < 500 || status === 503) {
      return build(status, error.code, error.message, fieldsOf(error.code, error.message), {});
    }
  }
  onUnexpected(error);
  return build(500, 'INTERNAL_ERROR', 'internal error', [], {});
}

function build(
  status: number,
  code: string,
  detail: string,
  errors: readonly FieldError[],
  headers: Readonly<Record<string, string>>,
): ProblemResponse {
  const body: Problem = {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(errors.length > 0 ? { errors } : {}),
  };
  return { status, body, headers };
}

/**
 * Field details of the engine's validation errors. Their messages list fields in the package's
 * one format (`validation-message.ts`): `<prefix>: field.path: reason; other.field: reason`.
 */
function fieldsOf(code: string, message: string): FieldError[] {
  if (code === 'INPUT_INVALID') {
    // `<field path>: <problem>`, the path as the store named it (see store/storable.ts).
    const at = message.indexOf(': ');
    return at < 0 ? [] : [{ field: message.slice(0, at), message: message.slice(at + 2) }];
  }
  if (code === 'SCHEDULE_INVALID') return splitFieldMessages(message);
  if (code !== 'CONTEXT_INVALID' && code !== 'SUBMIT_INVALID') return [];
  const body =
    code === 'CONTEXT_INVALID' ? message.replace(/^Invalid context for task [^:]*: /, '') : message;
  return splitFieldMessages(body, code === 'SUBMIT_INVALID' ? undefined : 'context');
}

/** `a.b: reason; c: reason` → field errors, with snake_case paths as the client wrote them. */
export function splitFieldMessages(text: string, prefix?: string): FieldError[] {
  const out: FieldError[] = [];
  for (const part of text.split('; ')) {
    const at = part.indexOf(': ');
    const field = at < 0 ? undefined : part.slice(0, at);
    if (field === undefined || /\s/.test(field)) {
      const last = out.pop();
      if (last === undefined) out.push({ field: prefix ?? '(root)', message: part });
      else out.push({ field: last.field, message: `${last.message}; ${part}` });
      continue;
    }
    out.push({ field: toSnakePath(field), message: part.slice(at + 2) });
  }
  return out;
}

/** `bypassSteps` → `bypass_steps`; user keys inside `context.` stay as written. */
function toSnakePath(path: string): string {
  if (path.startsWith('context')) return path;
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** zod issues of a request part (`query`, `param`, `json`) → field errors naming each field. */
export function fieldErrorsFromZod(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: [...base, key].join('.'), message: 'unknown field' });
      continue;
    }
    out.push({ field: base.length > 0 ? base.join('.') : '(root)', message: issue.message });
  }
  return out;
}
