/**
 * The schedules' statements (`TaskStore.schedules`, issue #14). Firing is one transaction per
 * schedule: the due row is locked (`for update skip locked`), the engine plans its slots (which
 * fire, which are skipped), the slots' tasks are created in the same transaction, each with an
 * identity key derived from the schedule and the slot, and the row's firing record moves past
 * them. Two layers keep a slot to one task: the row lock (one worker fires a schedule at a time,
 * and the next finds it advanced), and the identity key (a second firing of a slot, by any
 * engine, finds the slot's task instead of creating one). Slot arithmetic, catch-up and
 * definitions live in `../engine/scheduler.ts`.
 */
import { createTaskRecord } from './create-task-record';
import type { NewTask } from './new-task';
import { type Change, num, optNum } from './records';
import {
  advanceSchedule,
  claimDueSchedule,
  deleteSchedule,
  getSchedule,
  insertSchedule,
  listSchedules,
  lockSchedule,
  nextScheduleDue,
  redefineSchedule,
  setSchedulePaused,
} from './sql/schedules';
import { assertStorableJson, assertStorableText } from './storable';
import type { Run, StoreContext } from './store-context';

/** Who wrote a schedule's definition: a task definition's `schedules` (`code`), or the API. */
export type ScheduleSource = 'code' | 'api';

/** What a schedule submits and when. */
export interface ScheduleFields {
  readonly name: string;
  readonly namespace: string;
  readonly taskName: string;
  /** Exact, `latest` or a semver range (resolved by the engine that fires it). */
  readonly taskVersion: string;
  readonly cron: string;
  readonly timezone: string;
  readonly context: unknown;
  readonly catchUp: 'none' | 'latest' | 'all';
  readonly catchUpLimit: number;
}

/** A schedule to write: its definition, who wrote it, and its first slot. */
export interface NewSchedule extends ScheduleFields {
  readonly source: ScheduleSource;
  /** For `code`: the version of the task definition that carries it. */
  readonly definitionVersion?: string;
  readonly paused?: boolean;
  /** The first slot after now (undefined: the expression never fires). */
  readonly nextAt: number | undefined;
}

/** A stored schedule. */
export interface ScheduleRecord extends ScheduleFields {
  readonly source: ScheduleSource;
  readonly definitionVersion: string | undefined;
  readonly paused: boolean;
  /** Every slot up to this instant (epoch ms) was fired or skipped. */
  readonly coveredUntil: number;
  /** The next slot (epoch ms); undefined when the expression never fires again. */
  readonly nextAt: number | undefined;
  /** The last slot that fired, and its task. */
  readonly lastSlot: number | undefined;
  readonly lastTaskId: string | undefined;
  /** Tasks the schedule created, and slots it skipped, since it was written. */
  readonly fired: number;
  readonly skipped: number;
  /** Why its last firing could not submit (cleared by the next that could). */
  readonly lastError: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly updatedBy: string | undefined;
}

/** What the engine decided for a due schedule (see `planSlots` in ../engine/scheduler.ts). */
export interface SchedulePlan {
  /** The slots that fire, oldest first, each with its task (identity key included). */
  readonly tasks: readonly { readonly slot: number; readonly input: NewTask }[];
  /** Slots passed over (missed beyond the catch-up policy, or not submittable). */
  readonly skipped: number;
  /** Every slot up to here is dealt with. */
  readonly coveredUntil: number;
  readonly nextAt: number | undefined;
  readonly error?: string;
}

/** One slot's task, as the firing found it. */
export interface FiredSlot {
  readonly slot: number;
  readonly taskId: string;
  /** False when the slot's identity key already named a task: it had fired before. */
  readonly created: boolean;
  readonly change: Change;
}

/** What one firing transaction did. */
export interface FireResult {
  readonly schedule: ScheduleRecord;
  /** The engine could not fire it (its task is not in its registry): nothing was written. */
  readonly left: boolean;
  readonly plan: SchedulePlan | undefined;
  readonly fired: readonly FiredSlot[];
}

/** What a code definition's sync did to its row. */
export type SyncOutcome = 'created' | 'updated' | 'kept';

function scheduleFrom(row: Record<string, unknown>): ScheduleRecord {
  const text = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
  return {
    name: String(row.name),
    source: row.source === 'code' ? 'code' : 'api',
    definitionVersion: text(row.definition_version),
    namespace: String(row.namespace),
    taskName: String(row.task_name),
    taskVersion: String(row.task_version),
    cron: String(row.cron),
    timezone: String(row.timezone),
    context: row.context,
    catchUp: row.catch_up as ScheduleRecord['catchUp'],
    catchUpLimit: num(row.catch_up_limit),
    paused: row.paused === true,
    coveredUntil: num(row.covered_until),
    nextAt: optNum(row.next_at),
    lastSlot: optNum(row.last_slot),
    lastTaskId: text(row.last_task_id),
    fired: num(row.fired),
    skipped: num(row.skipped),
    lastError: text(row.last_error),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    updatedBy: text(row.updated_by),
  };
}

function definitionParams(s: NewSchedule): unknown[] {
  return [
    s.name,
    s.source,
    s.definitionVersion ?? null,
    s.namespace,
    s.taskName,
    s.taskVersion,
    s.cron,
    s.timezone,
    JSON.stringify(s.context ?? null),
    s.catchUp,
    s.catchUpLimit,
  ];
}

function assertStorableSchedule(s: NewSchedule): void {
  assertStorableText('name', s.name);
  assertStorableText('namespace', s.namespace);
  assertStorableText('task_name', s.taskName);
  assertStorableText('task_version', s.taskVersion);
  assertStorableText('cron', s.cron);
  assertStorableText('timezone', s.timezone);
  assertStorableJson('context', s.context);
}

/** Schedule statements over a store's tables. Get one from `TaskStore.schedules`. */
export class StoreSchedules {
  readonly #ctx: StoreContext;
  readonly #origin: string;
  readonly #writer: () => number | null;
  readonly #announce: (change: Change) => void;

  constructor(
    ctx: StoreContext,
    origin: string,
    writer: () => number | null,
    announce: (change: Change) => void,
  ) {
    this.#ctx = ctx;
    this.#origin = origin;
    this.#writer = writer;
    this.#announce = announce;
  }

  /** Every schedule, by name. */
  async list(): Promise<ScheduleRecord[]> {
    return (await this.#ctx.query(listSchedules)).rows.map(scheduleFrom);
  }

  async get(name: string): Promise<ScheduleRecord | undefined> {
    const row = (await this.#ctx.query(getSchedule, [name])).rows[0];
    return row === undefined ? undefined : scheduleFrom(row);
  }

  /**
   * Writes a new schedule, covered up to `now` (no earlier slot fires). Undefined when the name
   * is taken.
   */
  async insert(s: NewSchedule, now: number, by: string): Promise<ScheduleRecord | undefined> {
    assertStorableSchedule(s);
    const r = await this.#ctx.query(insertSchedule, [
      ...definitionParams(s),
      s.paused === true,
      now,
      s.nextAt ?? null,
      now,
      by,
    ]);
    const row = r.rows[0];
    return row === undefined ? undefined : scheduleFrom(row);
  }

  /**
   * Writes a code definition's schedule: inserted when there is none; otherwise the existing row
   * is locked and `replace` decides, from it, whether to replace its definition (it returns the
   * next slot by the new expression after the covered one) or to keep it (undefined).
   */
  async sync(
    s: NewSchedule,
    now: number,
    by: string,
    replace: (existing: ScheduleRecord) => { nextAt: number | undefined } | undefined,
  ): Promise<{ outcome: SyncOutcome; schedule: ScheduleRecord }> {
    assertStorableSchedule(s);
    return this.#ctx.transaction(async (run) => {
      const inserted = (
        await run(insertSchedule, [...definitionParams(s), s.paused === true, now, s.nextAt ?? null, now, by])
      ).rows[0];
      if (inserted !== undefined) return { outcome: 'created' as const, schedule: scheduleFrom(inserted) };
      const locked = (await run(lockSchedule, [s.name])).rows[0];
      if (locked === undefined) throw new Error(`schedule "${s.name}" vanished while it was synced`);
      const existing = scheduleFrom(locked);
      const decision = replace(existing);
      if (decision === undefined) return { outcome: 'kept' as const, schedule: existing };
      const row = (await run(redefineSchedule, [...definitionParams(s), decision.nextAt ?? null, now, by]))
        .rows[0];
      return { outcome: 'updated' as const, schedule: scheduleFrom(row ?? locked) };
    });
  }

  /** Pauses or resumes a schedule; undefined when there is none. */
  async setPaused(
    name: string,
    paused: boolean,
    now: number,
    by: string,
  ): Promise<ScheduleRecord | undefined> {
    const row = (await this.#ctx.query(setSchedulePaused, [name, paused, now, by])).rows[0];
    return row === undefined ? undefined : scheduleFrom(row);
  }

  /** Removes a schedule (its tasks stay); undefined when there was none. */
  async remove(name: string): Promise<ScheduleRecord | undefined> {
    const row = (await this.#ctx.query(deleteSchedule, [name])).rows[0];
    return row === undefined ? undefined : scheduleFrom(row);
  }

  /**
   * When the earliest schedule that is not paused (nor one of `excluded`) falls due; undefined
   * when none will.
   */
  async nextDue(excluded: readonly string[] = []): Promise<number | undefined> {
    return optNum((await this.#ctx.query(nextScheduleDue, [[...excluded]])).rows[0]?.next_at);
  }

  /**
   * Fires the most overdue schedule due at `now` that is not in `excluded` and that no other
   * transaction holds, in one transaction (see the module comment): `plan` decides its slots
   * (undefined leaves the row as it was), their tasks are created, the row advances. Undefined
   * when no schedule is due.
   */
  async fireNext(
    now: number,
    excluded: readonly string[],
    by: string,
    plan: (schedule: ScheduleRecord) => SchedulePlan | undefined,
  ): Promise<FireResult | undefined> {
    const result = await this.#ctx.transaction(async (run: Run) => {
      const row = (await run(claimDueSchedule, [now, [...excluded]])).rows[0];
      if (row === undefined) return undefined;
      const schedule = scheduleFrom(row);
      const decided = plan(schedule);
      if (decided === undefined) return { schedule, left: true, plan: undefined, fired: [] };
      const fired: FiredSlot[] = [];
      for (const { slot, input } of decided.tasks) {
        const r = await createTaskRecord(this.#ctx, input, now, this.#origin, this.#writer(), run);
        fired.push({ slot, taskId: r.taskId, created: r.created, change: r.change });
      }
      const last = fired.at(-1);
      await run(advanceSchedule, [
        schedule.name,
        decided.coveredUntil,
        decided.nextAt ?? null,
        last?.slot ?? null,
        last?.taskId ?? null,
        fired.filter((f) => f.created).length,
        decided.skipped,
        decided.error ?? null,
        now,
        by,
      ]);
      return { schedule, left: false, plan: decided, fired };
    });
    for (const f of result?.fired ?? []) this.#announce(f.change);
    return result;
  }
}
