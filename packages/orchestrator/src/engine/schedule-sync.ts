/**
 * Writes the schedules of an engine's task definitions to the store when it starts (issue #14),
 * by the rule that decides which definition wins (also in the README's "Schedules"):
 * - a schedule added through the API (`source: api`) is never overwritten by code;
 * - a row written by code keeps the version of the task definition that wrote it; an engine
 *   whose definition has an older version leaves it alone; one with the same or a newer version
 *   replaces it when they differ (its pause and firing record stay);
 * - within one engine, the highest version of a task that defines a schedule name is used, and a
 *   name given by two different tasks is reported (the first is kept).
 * Whatever a row holds, a slot fires once: see `./scheduler.ts`.
 */
import semver from 'semver';
import type { TaskDefinition } from '../definitions/define-task';
import type { TaskRegistry } from '../registry/task-registry';
import type { NewSchedule, ScheduleRecord } from '../store/store-schedules';
import type { TaskStore } from '../store/task-store';

/** What the sync needs from its scheduler. */
export interface ScheduleSyncOptions {
  readonly store: TaskStore;
  readonly registry: TaskRegistry;
  readonly now: () => number;
  readonly workerId: string;
  readonly nextSlot: (cron: string, timezone: string, at: number) => number | undefined;
  /** Reports a condition once per key. */
  readonly warnOnce: (key: string, error: unknown) => void;
  readonly onError: (error: unknown, during: string) => void;
}

/** JSON with sorted keys, to compare a definition's context with a row's (jsonb reorders keys). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Writes the definitions' schedules (see the module comment). */
export async function syncCodeSchedules(o: ScheduleSyncOptions): Promise<void> {
  const chosen = new Map<string, { definition: TaskDefinition; index: number }>();
  for (const definition of o.registry.list()) {
    definition.schedules.forEach((s, index) => {
      const seen = chosen.get(s.name);
      if (seen === undefined) chosen.set(s.name, { definition, index });
      else if (
        seen.definition.namespace !== definition.namespace ||
        seen.definition.name !== definition.name
      ) {
        o.warnOnce(
          `${s.name}\u0000twice`,
          new Error(
            `schedule "${s.name}" is defined by ${seen.definition.key} and by ${definition.key}: the first is kept`,
          ),
        );
      } else if (semver.gt(definition.version, seen.definition.version))
        chosen.set(s.name, { definition, index });
    });
  }
  for (const { definition, index } of chosen.values()) {
    const s = definition.schedules[index];
    if (s === undefined) continue;
    const now = o.now();
    const row: NewSchedule = {
      name: s.name,
      source: 'code',
      definitionVersion: definition.version,
      namespace: definition.namespace,
      taskName: definition.name,
      taskVersion: definition.version,
      cron: s.cron,
      timezone: s.timezone,
      context: s.context,
      catchUp: s.catchUp,
      catchUpLimit: s.catchUpLimit,
      nextAt: o.nextSlot(s.cron, s.timezone, now),
    };
    try {
      await o.store.schedules.sync(row, now, o.workerId, (existing) => replaces(o, row, existing));
    } catch (error) {
      o.onError(error, 'schedules');
    }
  }
}

/** Whether a code definition replaces a row (see the module comment), and its next slot then. */
function replaces(
  o: ScheduleSyncOptions,
  mine: NewSchedule,
  existing: ScheduleRecord,
): { nextAt: number | undefined } | undefined {
  if (existing.source === 'api') {
    o.warnOnce(
      `${mine.name}\u0000api`,
      new Error(
        `schedule "${mine.name}" was added through the API: its definition there is kept, not this code's`,
      ),
    );
    return undefined;
  }
  const theirs = existing.definitionVersion;
  const version = mine.definitionVersion as string;
  if (theirs !== undefined && semver.valid(theirs) !== null && semver.lt(version, theirs)) return undefined;
  const same =
    theirs === version &&
    existing.namespace === mine.namespace &&
    existing.taskName === mine.taskName &&
    existing.taskVersion === mine.taskVersion &&
    existing.cron === mine.cron &&
    existing.timezone === mine.timezone &&
    existing.catchUp === mine.catchUp &&
    existing.catchUpLimit === mine.catchUpLimit &&
    canonical(existing.context) === canonical(mine.context);
  if (same) return undefined;
  return { nextAt: o.nextSlot(mine.cron, mine.timezone, existing.coveredUntil) };
}
