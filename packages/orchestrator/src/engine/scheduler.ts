/**
 * The scheduler (issue #14): every engine that runs workers fires due schedules.
 *
 * Its loop ticks at most `schedules.tickMs` apart (1 s), and sooner when the next slot of any
 * schedule comes sooner: it sleeps until that slot. A tick fires due schedules one transaction
 * each (`StoreSchedules.fireNext`): the row is locked with `skip locked`, `planSlots` decides
 * which of its slots fire (on time, or caught up) and which are skipped, each slot's task is
 * created with the identity key `schedule:<name>@<slot as ISO 8601>`, and the row's firing
 * record moves to now. Every time comes from the engine's clock (the database's).
 *
 * Which definition a row holds when code and deploys change it: see `./schedule-sync.ts`.
 * Whatever it holds, every engine fires the row's definition; one that cannot build its task
 * (that version is not in its registry) leaves the schedule to the others.
 * A slot never fires twice whatever the definitions: the row lock serialises firings, and the
 * slot's identity key makes a second firing of it find the first one's task.
 */
import type { EventRouter } from '@tasker/router';
import type { Cron } from 'croner';
import type { TaskerConfig } from '../config/config-schema';
import type { TaskDefinition } from '../definitions/define-task';
import { parseCron } from '../definitions/schedule-spec';
import type { TaskRegistry } from '../registry/task-registry';
import type { Change } from '../store/records';
import type { SchedulePlan, ScheduleRecord } from '../store/store-schedules';
import type { NewTask, TaskStore } from '../store/task-store';
import { planSlots, type SlotPlan } from './schedule-slots';
import { syncCodeSchedules } from './schedule-sync';
import { buildNewTask } from './submit';

/** Announces each slot that fired (a custom event the engine registers). */
export const SCHEDULE_FIRED_EVENT = {
  name: 'schedule.fired',
  description: 'A schedule fired a slot: schedule, slot, taskId, namespace, name, version, caughtUp, lateMs',
  firedBy: ['scheduler'],
} as const;

/** Announces slots that did not fire: missed beyond the catch-up policy, or not submittable. */
export const SCHEDULE_SKIPPED_EVENT = {
  name: 'schedule.skipped',
  description:
    'A schedule skipped slots: schedule, reason (missed or error), count, firstSlot, lastSlot, catchUp',
  firedBy: ['scheduler'],
} as const;

/** The identity key of a schedule's task for one slot. */
export function slotIdentityKey(schedule: string, slot: number): string {
  return `schedule:${schedule}@${new Date(slot).toISOString()}`;
}

/** One slot a tick fired. */
export interface FiredScheduleSlot {
  readonly schedule: string;
  readonly slot: number;
  readonly taskId: string;
  /** False when the slot's task existed already (it had fired): no second task was made. */
  readonly created: boolean;
  /** A missed slot fired by the catch-up policy. */
  readonly caughtUp: boolean;
}

/** Slots of one schedule a tick passed over. */
export interface SkippedScheduleSlots {
  readonly schedule: string;
  readonly reason: 'missed' | 'error';
  /** How many (a lower bound when `capped`). */
  readonly count: number;
  readonly capped: boolean;
  readonly firstSlot: number;
  readonly lastSlot: number;
  readonly error?: string;
}

/** What one tick did. */
export interface ScheduleTickResult {
  readonly fired: readonly FiredScheduleSlot[];
  readonly skipped: readonly SkippedScheduleSlots[];
  /** Due schedules this engine cannot fire (their task is not in its registry). */
  readonly left: readonly string[];
}

/** What a scheduler needs from its engine. */
export interface SchedulerOptions {
  readonly store: TaskStore;
  readonly registry: TaskRegistry;
  readonly config: TaskerConfig['schedules'];
  /** The engine's clock (epoch ms, the database's). */
  readonly now: () => number;
  readonly workerId: string;
  /** Publishes a committed change's events. */
  readonly publish: (change: Change) => void;
  /** Routes a schedule event (absent without a router). */
  readonly route: ((name: string, payload: Record<string, unknown>, at: number) => void) | undefined;
  readonly onError: (error: unknown, during: string) => void;
}

/** How long an engine does not try again a schedule whose task it does not have (ms). */
const LEFT_FOR_MS = 30_000;

/** Most schedules one tick fires before it looks at the clock again. */
const MAX_PER_TICK = 1_000;

const iso = (t: number) => new Date(t).toISOString();
const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #crons = new Map<string, Cron>();
  /** Warnings already given, so that a schedule left every tick is reported once. */
  readonly #warned = new Set<string>();
  /**
   * Schedules this engine left recently (it cannot build their task), by name → until when it
   * does not try them again: while their task stays beyond it, its ticks do not lock their rows
   * (which would make a capable engine's tick skip them) and its loop does not wake for them.
   */
  readonly #leftUntil = new Map<string, number>();
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;
  #woken = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  /** A parsed expression (cached: schedules are few and their expressions rarely change). */
  cron(expression: string, timezone: string): Cron {
    const key = `${expression}\u0000${timezone}`;
    let cron = this.#crons.get(key);
    if (cron === undefined) {
      cron = parseCron(expression, timezone);
      if (this.#crons.size > 10_000) this.#crons.clear();
      this.#crons.set(key, cron);
    }
    return cron;
  }

  /** The first slot of `expression` after `at`. */
  nextSlot(expression: string, timezone: string, at: number): number | undefined {
    return this.cron(expression, timezone).nextRun(new Date(at))?.getTime();
  }

  /** Starts the loop (see the module comment). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops the loop and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.wake();
    await this.#loop;
  }

  /** Ends the loop's sleep at once (a schedule was added or resumed). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.tick();
      } catch (error) {
        this.#o.onError(error, 'schedules');
      }
      if (this.#stopping) break;
      let delay = this.#o.config.tickMs;
      try {
        const next = await this.#o.store.schedules.nextDue(this.#recentlyLeft(this.#o.now()));
        // One ms past the slot, so that the clock has passed it when the tick reads it.
        if (next !== undefined && next > this.#o.now()) delay = Math.min(delay, next - this.#o.now() + 1);
      } catch {
        // The tick reports database errors; sleep the full tick.
      }
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#woken || this.#stopping) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        self.#wake = undefined;
        self.#woken = false;
        resolve();
      }
      this.#wake = done;
    });
  }

  /** The names of the schedules left within `LEFT_FOR_MS`. */
  #recentlyLeft(now: number): string[] {
    const names: string[] = [];
    for (const [name, until] of this.#leftUntil) {
      if (until > now) names.push(name);
      else this.#leftUntil.delete(name);
    }
    return names;
  }

  /** Fires every schedule due now (a worker's tick; `tasker.schedules.tick()` runs one at once). */
  async tick(): Promise<ScheduleTickResult> {
    const { store, workerId } = this.#o;
    const now = this.#o.now();
    const left: string[] = [];
    const excluded = this.#recentlyLeft(now);
    const fired: FiredScheduleSlot[] = [];
    const skipped: SkippedScheduleSlots[] = [];
    for (let i = 0; i < MAX_PER_TICK && !this.#stopping; i++) {
      let slots: SlotPlan | undefined;
      let errors: { count: number; first: number; last: number; error: string } | undefined;
      const published = store.ledger.enter();
      try {
        const result = await store.schedules.fireNext(now, excluded, workerId, (schedule) => {
          const planned = this.#plan(schedule, now);
          slots = planned?.slots;
          errors = planned?.errors;
          return planned?.plan;
        });
        if (result === undefined) break;
        if (result.left) {
          left.push(result.schedule.name);
          excluded.push(result.schedule.name);
          this.#leftUntil.set(result.schedule.name, now + LEFT_FOR_MS);
          continue;
        }
        for (const f of result.fired) if (f.created) this.#o.publish(f.change);
        const name = result.schedule.name;
        const caughtUp = new Set(slots?.fire.filter((s) => s.caughtUp).map((s) => s.slot));
        for (const f of result.fired) {
          const slot = {
            schedule: name,
            slot: f.slot,
            taskId: f.taskId,
            created: f.created,
            caughtUp: caughtUp.has(f.slot),
          };
          fired.push(slot);
          if (f.created) this.#announceFired(result.schedule, slot, now);
        }
        const missed = slots?.skipped;
        if (missed !== undefined) {
          const s = {
            schedule: name,
            reason: 'missed' as const,
            count: missed.count,
            capped: missed.capped,
            firstSlot: missed.first,
            lastSlot: missed.last,
          };
          skipped.push(s);
          this.#announceSkipped(result.schedule, s, now);
        }
        if (errors !== undefined) {
          const s = {
            schedule: name,
            reason: 'error' as const,
            capped: false,
            firstSlot: errors.first,
            lastSlot: errors.last,
            count: errors.count,
            error: errors.error,
          };
          skipped.push(s);
          this.#announceSkipped(result.schedule, s, now);
        }
      } finally {
        published();
      }
    }
    return { fired, skipped, left };
  }

  /**
   * Decides a due schedule's firing: its slots, and each one's task. Undefined leaves it to
   * other engines (its task, or its expression, is beyond this one).
   */
  #plan(
    schedule: ScheduleRecord,
    now: number,
  ):
    | {
        plan: SchedulePlan;
        slots: SlotPlan;
        errors?: { count: number; first: number; last: number; error: string };
      }
    | undefined {
    const ref = { namespace: schedule.namespace, name: schedule.taskName, version: schedule.taskVersion };
    let definition: TaskDefinition | undefined;
    let cron: Cron;
    try {
      definition = this.#o.registry.find(ref);
      cron = this.cron(schedule.cron, schedule.timezone);
    } catch (error) {
      this.#warnOnce(`${schedule.name}\u0000cron\u0000${schedule.cron}`, error);
      return undefined;
    }
    if (definition === undefined) {
      const message = `schedule "${schedule.name}" submits ${ref.namespace}.${ref.name}@${ref.version}, which this engine does not have: it leaves the schedule to engines that do`;
      this.#warnOnce(`${schedule.name}\u0000task\u0000${ref.version}`, new Error(message));
      return undefined;
    }
    const slots = planSlots(
      {
        cron,
        coveredUntil: schedule.coveredUntil,
        catchUp: schedule.catchUp,
        catchUpLimit: schedule.catchUpLimit,
      },
      now,
      this.#o.config.missedAfterMs,
    );
    const tasks: { slot: number; input: NewTask }[] = [];
    let errors: { count: number; first: number; last: number; error: string } | undefined;
    for (const { slot } of slots.fire) {
      try {
        tasks.push({ slot, input: this.#taskFor(schedule, definition, slot) });
      } catch (error) {
        errors = {
          count: (errors?.count ?? 0) + 1,
          first: errors?.first ?? slot,
          last: slot,
          error: messageOf(error),
        };
      }
    }
    return {
      slots,
      ...(errors === undefined ? {} : { errors }),
      plan: {
        tasks,
        skipped: (slots.skipped?.count ?? 0) + (errors?.count ?? 0),
        coveredUntil: now,
        nextAt: slots.nextAt,
        ...(errors === undefined ? {} : { error: errors.error }),
      },
    };
  }

  #taskFor(schedule: ScheduleRecord, definition: TaskDefinition, slot: number): NewTask {
    return buildNewTask(
      definition,
      {
        namespace: definition.namespace,
        name: definition.name,
        version: definition.version,
        context: schedule.context,
        identityKey: slotIdentityKey(schedule.name, slot),
        initiator: `schedule:${schedule.name}`,
        sourceSystem: 'tasker.schedule',
        reason: `schedule "${schedule.name}", slot ${iso(slot)}`,
      },
      { strategy: 'none', windowMs: 1 },
      () => '',
    );
  }

  #announceFired(schedule: ScheduleRecord, slot: FiredScheduleSlot, now: number): void {
    this.#o.route?.(
      SCHEDULE_FIRED_EVENT.name,
      {
        schedule: slot.schedule,
        slot: iso(slot.slot),
        taskId: slot.taskId,
        namespace: schedule.namespace,
        name: schedule.taskName,
        version: schedule.taskVersion,
        caughtUp: slot.caughtUp,
        lateMs: Math.max(0, now - slot.slot),
        workerId: this.#o.workerId,
      },
      now,
    );
  }

  #announceSkipped(schedule: ScheduleRecord, s: SkippedScheduleSlots, now: number): void {
    this.#o.route?.(
      SCHEDULE_SKIPPED_EVENT.name,
      {
        schedule: s.schedule,
        reason: s.reason,
        count: s.count,
        countCapped: s.capped,
        firstSlot: iso(s.firstSlot),
        lastSlot: iso(s.lastSlot),
        catchUp: schedule.catchUp,
        ...(s.error === undefined ? {} : { error: s.error }),
        workerId: this.#o.workerId,
      },
      now,
    );
  }

  #warnOnce(key: string, error: unknown): void {
    if (this.#warned.has(key)) return;
    if (this.#warned.size > 10_000) this.#warned.clear();
    this.#warned.add(key);
    this.#o.onError(error, 'schedules');
  }

  /** Writes the schedules of this engine's definitions to the store (see `./schedule-sync.ts`). */
  syncCode(): Promise<void> {
    return syncCodeSchedules({
      store: this.#o.store,
      registry: this.#o.registry,
      now: this.#o.now,
      workerId: this.#o.workerId,
      nextSlot: (cron, timezone, at) => this.nextSlot(cron, timezone, at),
      warnOnce: (key, error) => this.#warnOnce(key, error),
      onError: this.#o.onError,
    });
  }
}

/**
 * Registers `schedule.fired` and `schedule.skipped` in the router's catalog and, unless the
 * router maps them already, sends them where the default table sends outcomes (metrics, logs),
 * in the router's default layer: a mapping the user adds later (a pattern too) beats it.
 */
export function registerScheduleEvents(router: EventRouter): void {
  for (const event of [SCHEDULE_FIRED_EVENT, SCHEDULE_SKIPPED_EVENT]) {
    router.registerEvent({ ...event, firedBy: [...event.firedBy] });
    if (router.mappingFor(event.name) === undefined)
      router.mapDefault(event.name, { backends: ['metrics', 'logs'] });
  }
}
