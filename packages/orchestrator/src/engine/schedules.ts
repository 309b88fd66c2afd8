/**
 * `tasker.schedules`: the schedules of a store at run time (issue #14): list them, add one
 * (written as `source: api`, which code never overwrites), pause, resume, remove, and fire what
 * is due at once (`tick`, which workers do by themselves).
 */
import { z } from 'zod';
import {
  type CatchUp,
  catchUpLimitSchema,
  catchUpSchema,
  cronSchema,
  DEFAULT_CATCH_UP,
  DEFAULT_CATCH_UP_LIMIT,
  refineCron,
  scheduleNameSchema,
  timezoneSchema,
} from '../definitions/schedule-spec';
import { TaskerError } from '../errors';
import type { TaskRegistry } from '../registry/task-registry';
import type { ScheduleRecord } from '../store/store-schedules';
import type { TaskStore } from '../store/task-store';
import { describeIssues } from '../validation-message';
import type { Scheduler, ScheduleTickResult } from './scheduler';

/** A schedule to add at run time. */
export interface ScheduleSpec {
  /** Unique across the store's schedules. */
  readonly name: string;
  /** 5 fields, or 6 with seconds first, or a nickname (`@hourly`). */
  readonly cron: string;
  /** IANA time zone. Default `UTC`. */
  readonly timezone?: string;
  /** The task to submit. Default namespace `default`. */
  readonly namespace?: string;
  readonly taskName: string;
  /** Exact, `latest` or a semver range, resolved when each slot fires. Default `latest`. */
  readonly version?: string;
  /** Validated against the task's context schema now. Default `{}`. */
  readonly context?: unknown;
  /** Default `latest`. */
  readonly catchUp?: CatchUp;
  /** Default 100. */
  readonly catchUpLimit?: number;
  /** Added paused (fires nothing until resumed). Default false. */
  readonly paused?: boolean;
}

/** `tasker.schedules`. */
export interface TaskerSchedules {
  /** Every schedule of the store, by name. */
  list(): Promise<ScheduleRecord[]>;
  get(name: string): Promise<ScheduleRecord | undefined>;
  /**
   * Adds a schedule; its first slot is the first after now.
   *
   * @throws TaskerError `SCHEDULE_INVALID` (a field, named), `DEFINITION_NOT_FOUND` (no such
   *   task in this engine's registry), `CONTEXT_INVALID`, `SCHEDULE_EXISTS`.
   * @example
   * ```ts
   * await tasker.schedules.add({
   *   name: 'nightly-report', cron: '0 30 2 * * *', timezone: 'Europe/Berlin',
   *   namespace: 'reports', taskName: 'nightly', context: { region: 'eu' }, catchUp: 'latest',
   * });
   * ```
   */
  add(spec: ScheduleSpec): Promise<ScheduleRecord>;
  /** Stops a schedule firing. @throws TaskerError `SCHEDULE_NOT_FOUND`. */
  pause(name: string): Promise<ScheduleRecord>;
  /**
   * Lets a paused schedule fire again; the slots that passed meanwhile are missed ones, and its
   * catch-up policy decides which fire. @throws TaskerError `SCHEDULE_NOT_FOUND`.
   */
  resume(name: string): Promise<ScheduleRecord>;
  /** Removes a schedule (the tasks it made stay). @throws TaskerError `SCHEDULE_NOT_FOUND`. */
  remove(name: string): Promise<ScheduleRecord>;
  /** Fires every schedule due now, in this process, and says what it did. */
  tick(): Promise<ScheduleTickResult>;
}

const text = (max: number) =>
  z
    .string({
      error: (i) => `expected a string, received ${i.input === undefined ? 'nothing' : typeof i.input}`,
    })
    .min(1, { error: 'expected a non-empty string' })
    .max(max, { error: `expected at most ${max} characters` });

const specSchema = z
  .strictObject({
    name: scheduleNameSchema,
    cron: cronSchema,
    timezone: timezoneSchema.default('UTC'),
    namespace: text(200).default('default'),
    taskName: text(200),
    version: text(100).default('latest'),
    context: z.unknown().optional(),
    catchUp: catchUpSchema.default(DEFAULT_CATCH_UP),
    catchUpLimit: catchUpLimitSchema.default(DEFAULT_CATCH_UP_LIMIT),
    paused: z.boolean({ error: 'expected a boolean' }).default(false),
  })
  .superRefine(refineCron);

/** What the facade needs from its engine. */
export interface SchedulesDeps {
  readonly store: () => Promise<TaskStore>;
  readonly scheduler: () => Promise<Scheduler>;
  readonly registry: TaskRegistry;
  readonly now: () => number;
  readonly workerId: string;
}

const notFound = (name: string) => new TaskerError('SCHEDULE_NOT_FOUND', `No schedule named "${name}"`);

export function createTaskerSchedules(deps: SchedulesDeps): TaskerSchedules {
  const found = (name: string, record: ScheduleRecord | undefined): ScheduleRecord => {
    if (record === undefined) throw notFound(name);
    return record;
  };
  return {
    list: async () => (await deps.store()).schedules.list(),
    get: async (name) => (await deps.store()).schedules.get(name),
    async add(spec) {
      const parsed = specSchema.safeParse(spec);
      if (!parsed.success) throw new TaskerError('SCHEDULE_INVALID', describeIssues(parsed.error.issues));
      const s = parsed.data;
      const definition = deps.registry.resolve({
        namespace: s.namespace,
        name: s.taskName,
        version: s.version,
      });
      const context = definition.validateContext(s.context ?? {});
      if (!context.ok) {
        throw new TaskerError(
          'CONTEXT_INVALID',
          `Invalid context for task ${definition.key}: ${context.message}`,
        );
      }
      const store = await deps.store();
      const scheduler = await deps.scheduler();
      const now = deps.now();
      const record = await store.schedules.insert(
        {
          name: s.name,
          source: 'api',
          namespace: s.namespace,
          taskName: s.taskName,
          taskVersion: s.version,
          cron: s.cron,
          timezone: s.timezone,
          context: context.value,
          catchUp: s.catchUp,
          catchUpLimit: s.catchUpLimit,
          paused: s.paused,
          nextAt: scheduler.nextSlot(s.cron, s.timezone, now),
        },
        now,
        deps.workerId,
      );
      if (record === undefined)
        throw new TaskerError('SCHEDULE_EXISTS', `A schedule named "${s.name}" exists already`);
      scheduler.wake();
      return record;
    },
    async pause(name) {
      return found(
        name,
        await (await deps.store()).schedules.setPaused(name, true, deps.now(), deps.workerId),
      );
    },
    async resume(name) {
      const record = found(
        name,
        await (await deps.store()).schedules.setPaused(name, false, deps.now(), deps.workerId),
      );
      (await deps.scheduler()).wake();
      return record;
    },
    async remove(name) {
      return found(name, await (await deps.store()).schedules.remove(name));
    },
    tick: async () => (await deps.scheduler()).tick(),
  };
}
