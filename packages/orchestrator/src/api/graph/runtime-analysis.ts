/**
 * The runtime dependency analysis of one task (`GET /tasks/:id?include_dependencies=true`):
 * the DAG with each step's current state, levels, the critical path by real durations, the
 * steps that are ready, the ones blocked and what blocks them, and the error chains (a failed
 * step and the unfinished descendants it holds back).
 *
 * The critical path is the chain with the largest sum of real durations (`endedAt -
 * startedAt` of the last attempt); a step that has not run counts 0 and marks the path
 * incomplete.
 */
import type { EventError } from '@tasker/router';
import type { StepState } from '../../states/step-states';
import type { StepRecord } from '../../store/records';
import { stepDurationMs } from '../wire/task-wire';
import { levelsOf, topologicalOrder } from './dependency-graph';

/** A step and its state. */
export interface NamedState {
  readonly name: string;
  readonly state: StepState;
}

/** What {@link analyseTask} finds. */
export interface RuntimeAnalysis {
  readonly nodes: {
    id: string;
    name: string;
    state: StepState;
    level: number;
    attempts: number;
    durationMs: number | null;
  }[];
  readonly edges: { from: string; to: string }[];
  readonly executionOrder: string[];
  readonly levels: { level: number; steps: string[] }[];
  readonly criticalPath: { steps: string[]; durationMs: number; complete: boolean };
  readonly readySteps: string[];
  readonly blockedSteps: (NamedState & { blockedBy: NamedState[] })[];
  readonly errorChains: {
    step: string;
    error: EventError | null;
    attempts: number;
    blockedDescendants: string[];
  }[];
}

const SATISFIED: ReadonlySet<StepState> = new Set(['complete', 'resolved_manually', 'skipped']);
const SETTLED: ReadonlySet<StepState> = new Set([...SATISFIED, 'cancelled']);

export function analyseTask(steps: readonly StepRecord[]): RuntimeAnalysis {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const order = topologicalOrder(steps);
  const level = levelsOf(steps, order);
  const children = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const s of steps) for (const p of s.dependsOn) children.get(p)?.push(s.name);

  const levels: { level: number; steps: string[] }[] = [];
  for (const name of order) {
    const l = level.get(name) ?? 0;
    let group = levels.find((g) => g.level === l);
    if (group === undefined) {
      group = { level: l, steps: [] };
      levels.push(group);
    }
    group.steps.push(name);
  }
  levels.sort((a, b) => a.level - b.level);

  // Longest path by duration, over the topological order.
  const best = new Map<string, { total: number; via: string | undefined }>();
  for (const name of order) {
    const own = stepDurationMs(byName.get(name) as StepRecord) ?? 0;
    let via: string | undefined;
    let from = 0;
    for (const p of byName.get(name)?.dependsOn ?? []) {
      const b = best.get(p);
      if (b !== undefined && (via === undefined || b.total > from)) {
        via = p;
        from = b.total;
      }
    }
    best.set(name, { total: from + own, via });
  }
  let end: string | undefined;
  for (const name of order) {
    if (end === undefined || (best.get(name)?.total ?? 0) > (best.get(end)?.total ?? 0)) end = name;
  }
  const path: string[] = [];
  for (let at = end; at !== undefined; at = best.get(at)?.via) path.unshift(at);

  const state = (name: string): NamedState => ({ name, state: byName.get(name)?.state ?? 'pending' });
  const descendants = (name: string): string[] => {
    const seen = new Set<string>();
    const stack = [...(children.get(name) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(children.get(next) ?? []));
    }
    return order.filter((n) => seen.has(n));
  };

  return {
    nodes: order.map((name) => {
      const s = byName.get(name) as StepRecord;
      return {
        id: s.id,
        name,
        state: s.state,
        level: level.get(name) ?? 0,
        attempts: s.attempts,
        durationMs: stepDurationMs(s),
      };
    }),
    edges: steps.flatMap((s) => s.dependsOn.map((from) => ({ from, to: s.name }))),
    executionOrder: order,
    levels,
    criticalPath: {
      steps: path,
      durationMs: best.get(end ?? '')?.total ?? 0,
      complete: path.every((n) => stepDurationMs(byName.get(n) as StepRecord) !== null),
    },
    readySteps: order.filter((n) => {
      const s = byName.get(n) as StepRecord;
      return (
        s.state === 'pending' && s.dependsOn.every((p) => SATISFIED.has(byName.get(p)?.state ?? 'pending'))
      );
    }),
    blockedSteps: order.flatMap((n) => {
      const s = byName.get(n) as StepRecord;
      if (SETTLED.has(s.state)) return [];
      const blockers = s.dependsOn.filter((p) => !SATISFIED.has(byName.get(p)?.state ?? 'pending'));
      return blockers.length === 0 ? [] : [{ ...state(n), blockedBy: blockers.map(state) }];
    }),
    errorChains: order
      .filter((n) => byName.get(n)?.state === 'error')
      .map((n) => {
        const s = byName.get(n) as StepRecord;
        return {
          step: n,
          error: s.error ?? null,
          attempts: s.attempts,
          blockedDescendants: descendants(n).filter((d) => !SETTLED.has(byName.get(d)?.state ?? 'pending')),
        };
      }),
  };
}
