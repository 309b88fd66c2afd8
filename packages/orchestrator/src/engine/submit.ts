/** Validates a submit request against its definition and turns it into the store's `NewTask`. */
import type { TraceContext } from '@tasker/router';
import type { TaskDefinition } from '../definitions/define-task';
import { MAX_DELAY_MS, MAX_PRIORITY, MIN_PRIORITY, resolveLimitKey } from '../definitions/flow-control';
import { TaskerError } from '../errors';
import type { JsonValue } from '../store/records';
import type { NewTask } from '../store/task-store';

/** What `submit` accepts. */
export interface SubmitRequest {
  /** Default `default`. */
  readonly namespace?: string;
  readonly name: string;
  /** Exact, `latest` or a semver range. Default `0.1.0`. */
  readonly version?: string;
  /** Validated against the definition's schema; a bad one is rejected naming the field. */
  readonly context: unknown;
  readonly initiator?: string;
  /** The initiator a client asked for, kept apart when `initiator` is its principal's (the API sets it). */
  readonly requestedInitiator?: string;
  /** The authenticated principal submitting the task (the API sets it from the token's subject). */
  readonly owner?: string;
  readonly sourceSystem?: string;
  readonly reason?: string;
  readonly tags?: readonly string[];
  /** Typed JSON annotations: annotation type → value. */
  readonly annotations?: Readonly<Record<string, JsonValue>>;
  /** Steps to skip; each must be `skippable`. */
  readonly bypassSteps?: readonly string[];
  /** Submitting the same key again returns the existing task instead of a duplicate. */
  readonly identityKey?: string;
  /** An opaque trace-propagation record stored with the task (trace adapters fill it). */
  readonly traceContext?: TraceContext;
  /**
   * Start no earlier than this instant (a `Date`, epoch ms, or an ISO 8601 string), compared on
   * the database's clock. One in the past starts now. Not with `delay`.
   */
  readonly runAt?: Date | number | string;
  /** Start no earlier than this many ms after the task is created. Not with `runAt`. */
  readonly delay?: number;
  /** Higher is claimed first (an integer from -1000 to 1000); default the definition's, else 0. */
  readonly priority?: number;
}

/** `runAt` or `delay` as the store takes them, or a `SUBMIT_INVALID` error naming the field. */
function startOf(request: SubmitRequest): { runAt?: number; delayMs?: number } {
  if (request.runAt !== undefined && request.delay !== undefined)
    throw new TaskerError('SUBMIT_INVALID', 'runAt, delay: give one of them, not both');
  if (request.delay !== undefined) {
    const d = request.delay;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_DELAY_MS)
      throw new TaskerError(
        'SUBMIT_INVALID',
        `delay: expected an integer number of ms from 0 to ${MAX_DELAY_MS}`,
      );
    return d === 0 ? {} : { delayMs: d };
  }
  if (request.runAt === undefined) return {};
  const r = request.runAt;
  const ms =
    r instanceof Date
      ? r.getTime()
      : typeof r === 'number'
        ? r
        : typeof r === 'string'
          ? Date.parse(r)
          : Number.NaN;
  const valid =
    Number.isInteger(ms) &&
    ms >= 0 &&
    ms <= 253_402_300_799_999 &&
    (typeof r !== 'string' || /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(r));
  if (!valid)
    throw new TaskerError(
      'SUBMIT_INVALID',
      'runAt: expected a Date, epoch milliseconds, or an ISO 8601 date-time with its offset (e.g. 2026-12-24T18:00:00Z)',
    );
  return { runAt: ms };
}

function priorityOf(request: SubmitRequest, definition: TaskDefinition): number | undefined {
  const p = request.priority;
  if (p === undefined) return definition.priority;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < MIN_PRIORITY || p > MAX_PRIORITY)
    throw new TaskerError(
      'SUBMIT_INVALID',
      `priority: expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`,
    );
  return p;
}

/** How a task's identity is derived when a submit gives no `identityKey` (the engine config's). */
export interface IdentityOptions {
  readonly strategy: 'none' | 'hash';
  /** How long a derived key deduplicates after its first task's creation (ms). */
  readonly windowMs: number;
  /**
   * What the key hashes besides the task's name and version: `context` (all of it),
   * `context.<path>`, `initiator`, `sourceSystem`. Default: the context, initiator and source system.
   */
  readonly fields?: readonly string[];
}

const DEFAULT_IDENTITY_FIELDS = ['context', 'initiator', 'sourceSystem'] as const;

/** The value of one identity field (`context.a.b` walks the context; a missing part is null). */
function identityField(field: string, context: unknown, request: SubmitRequest): unknown {
  if (field === 'initiator') return request.initiator ?? null;
  if (field === 'sourceSystem') return request.sourceSystem ?? null;
  let value: unknown = context;
  for (const part of field.split('.').slice(1)) {
    value =
      typeof value === 'object' && value !== null && Object.hasOwn(value, part)
        ? (value as Record<string, unknown>)[part]
        : null;
  }
  return value ?? null;
}

export function buildNewTask(
  definition: TaskDefinition,
  request: SubmitRequest,
  identity: IdentityOptions,
  hash: (parts: unknown) => string,
): NewTask {
  const validated = definition.validateContext(request.context);
  if (!validated.ok) {
    throw new TaskerError(
      'CONTEXT_INVALID',
      `Invalid context for task ${definition.key}: ${validated.message}`,
    );
  }
  const bypass = [...new Set(request.bypassSteps ?? [])];
  for (const name of bypass) {
    const step = definition.steps.find((s) => s.name === name);
    if (step === undefined)
      throw new TaskerError('SUBMIT_INVALID', `bypassSteps: task ${definition.key} has no step "${name}"`);
    if (!step.skippable) {
      throw new TaskerError(
        'SUBMIT_INVALID',
        `bypassSteps: step "${name}" of task ${definition.key} is not skippable`,
      );
    }
  }
  const start = startOf(request);
  const priority = priorityOf(request, definition);
  const fields = identity.fields ?? DEFAULT_IDENTITY_FIELDS;
  const identityWindow =
    request.identityKey === undefined && identity.strategy === 'hash'
      ? {
          key: hash([definition.key, ...fields.map((f) => [f, identityField(f, validated.value, request)])]),
          windowMs: identity.windowMs,
        }
      : undefined;
  return {
    namespace: definition.namespace,
    name: definition.name,
    version: definition.version,
    context: validated.value,
    ...(request.initiator === undefined ? {} : { initiator: request.initiator }),
    ...(request.requestedInitiator === undefined ? {} : { requestedInitiator: request.requestedInitiator }),
    ...(request.owner === undefined ? {} : { owner: request.owner }),
    ...(request.sourceSystem === undefined ? {} : { sourceSystem: request.sourceSystem }),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
    tags: request.tags ?? [],
    annotations: request.annotations ?? {},
    ...(request.identityKey === undefined ? {} : { identityKey: request.identityKey }),
    ...(identityWindow === undefined ? {} : { identityWindow }),
    ...(request.traceContext === undefined ? {} : { traceContext: request.traceContext }),
    bypassSteps: bypass,
    ...start,
    ...(priority === undefined ? {} : { priority }),
    steps: definition.steps.map((s) => ({
      name: s.name,
      handler: typeof s.handler === 'string' ? s.handler : s.handler.name || s.name,
      retryable: s.retryable,
      retryLimit: s.retryLimit,
      timeoutMs: s.timeoutMs,
      skippable: s.skippable,
      dependsOn: s.dependsOn,
      queue: s.queue,
      ...(s.flow.priority === undefined ? {} : { priority: s.flow.priority }),
      ...(s.flow.concurrency === undefined
        ? {}
        : {
            concurrency: {
              key: resolveLimitKey(s.flow.concurrency.key, validated.value, 'concurrency', definition.key),
              limit: s.flow.concurrency.limit,
            },
          }),
      ...(s.flow.rateLimit === undefined
        ? {}
        : {
            rateLimit: {
              ...s.flow.rateLimit,
              key: resolveLimitKey(s.flow.rateLimit.key, validated.value, 'rate limit', definition.key),
            },
          }),
    })),
  };
}
