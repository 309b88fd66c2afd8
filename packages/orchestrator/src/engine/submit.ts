/** Validates a submit request against its definition and turns it into the store's `NewTask`. */
import type { TraceContext } from '@tasker/router';
import type { TaskDefinition } from '../definitions/define-task';
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
    steps: definition.steps.map((s) => ({
      name: s.name,
      handler: typeof s.handler === 'string' ? s.handler : s.handler.name || s.name,
      retryable: s.retryable,
      retryLimit: s.retryLimit,
      timeoutMs: s.timeoutMs,
      skippable: s.skippable,
      dependsOn: s.dependsOn,
      queue: s.queue,
    })),
  };
}
