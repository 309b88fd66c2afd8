/**
 * A task to create, as the store takes it: what `buildNewTask` makes of a submit (its
 * definition's steps, the identity, flow control), for `createTask` and `createTasks`.
 */
import type { TraceContext } from '@tasker/router';
import type { JsonValue } from './records';

/** One step of a task to create, parents first. */
export interface NewStep {
  readonly name: string;
  readonly handler: string;
  readonly retryable: boolean;
  readonly retryLimit: number;
  readonly timeoutMs: number | undefined;
  readonly skippable: boolean;
  readonly dependsOn: readonly string[];
  /** The queue the step is claimed from. Default `default`. */
  readonly queue?: string;
  /** Claim priority: higher first. Default 0. */
  readonly priority?: number;
  /** At most `limit` steps with this key (as resolved from the context) in progress at once. */
  readonly concurrency?: { readonly key: string; readonly limit: number };
  /** At most `limit` starts per `periodMs` with this key, plus `burst` at once. */
  readonly rateLimit?: {
    readonly key: string;
    readonly limit: number;
    readonly periodMs: number;
    readonly burst: number;
  };
}

/** A task to create. */
export interface NewTask {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly context: unknown;
  readonly initiator?: string;
  /** The initiator a client asked for, kept apart when `initiator` is its principal's subject. */
  readonly requestedInitiator?: string;
  /** The authenticated principal that submitted the task (a token's subject). */
  readonly owner?: string;
  readonly sourceSystem?: string;
  readonly reason?: string;
  readonly tags: readonly string[];
  readonly annotations: Readonly<Record<string, JsonValue>>;
  /** Held for ever (its unique index): a submit with the same key returns this task. */
  readonly identityKey?: string;
  /**
   * Held for a window only: a submit with the same key within `windowMs` of this task's
   * creation (by `now`, the database's clock) returns this task; a later one creates a new task
   * and takes the key over. Used by the `hash` identity strategy.
   */
  readonly identityWindow?: { readonly key: string; readonly windowMs: number };
  readonly traceContext?: TraceContext;
  readonly bypassSteps: readonly string[];
  readonly steps: readonly NewStep[];
  /** Its root steps are ready at this time (epoch ms, the database's clock), not before. */
  readonly runAt?: number;
  /** Its root steps are ready this many ms after its creation (in place of `runAt`). */
  readonly delayMs?: number;
  /** The task's priority (its steps' unless a step has its own). Default 0. */
  readonly priority?: number;
}
