/**
 * Schedules (issue #14): a cron expression in a time zone that submits a task with a fixed
 * context at each of its slots. This module validates what a user writes, in a definition
 * (`defineTask({ schedules })`, YAML `schedules:`) or at run time (`tasker.schedules.add`, the
 * REST API, the CLI), with zod and with croner parsing the expression, so that a bad one fails
 * where it is written, naming its field. The engine's `scheduler.ts` fires them.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { showValue } from '../validation-message';

/** What happens to slots missed while no worker ran (or while the schedule was paused). */
export type CatchUp = 'none' | 'latest' | 'all';

export const CATCH_UP_POLICIES: readonly CatchUp[] = Object.freeze(['none', 'latest', 'all']);

/** Default catch-up policy: the most recent missed slot is made up for, once. */
export const DEFAULT_CATCH_UP: CatchUp = 'latest';

/** Default bound of `catchUp: 'all'`: the most recent 100 missed slots fire, older ones are skipped. */
export const DEFAULT_CATCH_UP_LIMIT = 100;

/** The largest `catchUpLimit`. */
export const MAX_CATCH_UP_LIMIT = 10_000;

/** A schedule of a task definition, as written (`defineTask({ schedules: [...] })`). */
export interface ScheduleInput {
  /**
   * Unique across every schedule of the store. Default `<namespace>.<name>` of its task, for a
   * definition with one schedule; a definition with several names each.
   */
  readonly name?: string;
  /**
   * A cron expression of 5 fields (minute hour day month weekday) or 6 (a seconds field first),
   * or a nickname such as `@daily`; parsed by croner.
   */
  readonly cron: string;
  /** An IANA time zone (`Europe/Berlin`); the expression's times are read in it. Default `UTC`. */
  readonly timezone?: string;
  /** The context each fired task gets; validated against the task's context schema. Default `{}`. */
  readonly context?: unknown;
  /** Missed slots: `none`, `latest` (default) or `all` (at most `catchUpLimit`). */
  readonly catchUp?: CatchUp;
  /** With `catchUp: 'all'`: how many of the most recent missed slots fire, at most. Default 100. */
  readonly catchUpLimit?: number;
}

/** A validated schedule's timing and what it submits (without its task). */
export interface ScheduleTiming {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly context: unknown;
  readonly catchUp: CatchUp;
  readonly catchUpLimit: number;
}

/** What a schedule name is made of (as task names). */
export const SCHEDULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

/**
 * The schedule schemas, made with a given zod (the API's adds OpenAPI metadata to its own), so
 * that a definition, `tasker.schedules.add` and the REST API check the same rules.
 */
export function scheduleSchemas(zod: typeof z) {
  const e = (what: string) => (i: { input: unknown }) => `expected ${what}, received ${showValue(i.input)}`;
  const limit = `an integer from 1 to ${MAX_CATCH_UP_LIMIT}`;
  return {
    /** Names of schedules: as task names, at most 200 characters. */
    name: zod
      .string({ error: e('a schedule name') })
      .max(200, { error: 'expected at most 200 characters' })
      .regex(SCHEDULE_NAME, { error: e('a schedule name of letters, digits, "_", ".", ":" or "-"') }),
    timezone: zod
      .string({ error: e('an IANA time zone such as "Europe/Berlin"') })
      .max(100, { error: 'expected at most 100 characters' })
      .refine(isTimeZone, { error: e('an IANA time zone such as "Europe/Berlin"') }),
    cron: zod
      .string({ error: e('a cron expression') })
      .min(1, { error: 'expected a cron expression' })
      .max(200, { error: 'expected at most 200 characters' }),
    catchUp: zod.enum(['none', 'latest', 'all'], { error: e('"none", "latest" or "all"') }),
    catchUpLimit: zod
      .number({ error: e(limit) })
      .int({ error: e(limit) })
      .min(1, { error: e(limit) })
      .max(MAX_CATCH_UP_LIMIT, { error: e(limit) }),
  };
}

const schemas = scheduleSchemas(z);

/** Names of schedules: as task names, at most 200 characters. */
export const scheduleNameSchema = schemas.name;

/** True when `zone` is a time zone this runtime knows (IANA names, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a cron expression for a zone: 5 or 6 fields, or a nickname. Throws croner's error
 * (`CronPattern: Invalid value for minute: 61`) for a bad one.
 */
export function parseCron(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: '5-or-6-parts', paused: true });
}

/** Why `cron` cannot be a schedule in `timezone`, or undefined when it can. */
export function cronProblem(cron: string, timezone: string): string | undefined {
  let parsed: Cron;
  try {
    parsed = parseCron(cron, timezone);
  } catch (error) {
    return `expected a cron expression of 5 or 6 fields: ${(error as Error).message}`;
  }
  if (parsed.nextRun() === null)
    return `expected a cron expression that fires, ${JSON.stringify(cron)} never does`;
  return undefined;
}

export const timezoneSchema = schemas.timezone;
export const cronSchema = schemas.cron;
export const catchUpSchema = schemas.catchUp;
export const catchUpLimitSchema = schemas.catchUpLimit;

/** Checks the cron expression against the (valid) time zone of the same object. */
export function refineCron(
  value: { cron: string; timezone: string },
  ctx: { addIssue(issue: { code: 'custom'; message: string; path: string[] }): void },
): void {
  if (!isTimeZone(value.timezone)) return;
  const problem = cronProblem(value.cron, value.timezone);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, path: ['cron'] });
}

/** A schedule of a definition (`defineTask({ schedules })`). */
export const scheduleInputSchema = z
  .strictObject({
    name: scheduleNameSchema.optional(),
    cron: cronSchema,
    timezone: timezoneSchema.default('UTC'),
    context: z.unknown().optional(),
    catchUp: catchUpSchema.default(DEFAULT_CATCH_UP),
    catchUpLimit: catchUpLimitSchema.default(DEFAULT_CATCH_UP_LIMIT),
  })
  .superRefine(refineCron);
