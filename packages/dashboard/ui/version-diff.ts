/** How one version of a task definition differs from the version before it: steps added, changed, removed. */
import type { StepTemplate } from './handlers-data';

export type StepMark = 'added' | 'changed';

export interface VersionDiff {
  /** Step name → how it differs from the earlier version; unchanged steps are absent. */
  readonly marks: Readonly<Record<string, StepMark>>;
  /** Steps of the earlier version that this one no longer has. */
  readonly removed: readonly string[];
}

const shape = (s: StepTemplate) =>
  JSON.stringify([
    s.handler,
    [...s.depends_on].sort(),
    s.retryable,
    s.retry_limit,
    s.timeout_ms,
    s.skippable,
  ]);

export function diffVersions(earlier: readonly StepTemplate[], later: readonly StepTemplate[]): VersionDiff {
  const before = new Map(earlier.map((s) => [s.name, shape(s)]));
  const marks: Record<string, StepMark> = {};
  for (const step of later) {
    const was = before.get(step.name);
    if (was === undefined) marks[step.name] = 'added';
    else if (was !== shape(step)) marks[step.name] = 'changed';
  }
  const names = new Set(later.map((s) => s.name));
  return { marks, removed: earlier.map((s) => s.name).filter((n) => !names.has(n)) };
}
