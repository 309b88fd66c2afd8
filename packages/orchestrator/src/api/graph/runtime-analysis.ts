/**
 * The runtime dependency analysis of one task (`GET /tasks/:id?include_dependencies=true`):
 * the DAG with each step's current state, levels, the critical path by real durations, the
 * steps that are ready, the ones blocked and what blocks them, and the error chains (a failed
 * step and the unfinished descendants it holds back).
 *
 * The critical path is the chain of steps that gated the task, from the audit (issue #15):
 * it ends at the step that settled last and walks back through the parent that settled last,
 * to a root. Each step on it spans from its first claim to its last settle, so its retries and
 * their backoff count, not only its last attempt. The path's duration runs from the first
 * claim of its first step to the settle of its last (queueing between steps included). It is
 * complete once every step of the task has settled; until then it is the path so far.
 */
import type { EventError } from '@tasker/router';
import type { StepState } from '../../states/step-states';
import type { StepRecord } from '../../store/records';
import type { StepSpan } from '../../store/store-audit';
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
  readonly criticalPath: CriticalPath;
  readonly readySteps: string[];
  readonly blockedSteps: (NamedState & { blockedBy: NamedState[] })[];
  readonly errorChains: {
    step: string;
    error: EventError | null;
    attempts: number;
    blockedDescendants: string[];
  }[];
}

/** A step on the critical path: from its first claim to its last settle (epoch ms). */
export interface CriticalSpan {
  readonly step: string;
  /** Undefined for a step that settled without running (skipped, resolved by hand). */
  readonly firstClaimedAt: number | undefined;
  readonly settledAt: number;
  /** `settledAt - firstClaimedAt`: every attempt and the backoff between them (0 without a claim). */
  readonly durationMs: number;
  readonly attempts: number;
}

/** The steps that gated the task (see the top of this file). */
export interface CriticalPath {
  readonly steps: string[];
  readonly spans: CriticalSpan[];
  /** From the first claim of the path's first step to the settle of its last step. */
  readonly durationMs: number;
  /** True once every step of the task has settled. */
  readonly complete: boolean;
}

const SATISFIED: ReadonlySet<StepState> = new Set(['complete', 'resolved_manually', 'skipped']);
const SETTLED: ReadonlySet<StepState> = new Set([...SATISFIED, 'cancelled']);
/** States a step stays in unless someone acts on it by hand. */
const SETTLED_FOR_GOOD: ReadonlySet<StepState> = new Set([...SETTLED, 'error']);

/** The analysis of a task's steps; `spans` are theirs from the audit (`StoreAudit.stepSpans`). */
export function analyseTask(steps: readonly StepRecord[], spans: readonly StepSpan[]): RuntimeAnalysis {
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

  const criticalPath = criticalPathOf(steps, order, spans);

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
    criticalPath,
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

/**
 * Walks back from the step that settled last through the parent that settled last. Ties go to
 * the step later in the topological order, so the answer does not depend on row order.
 */
function criticalPathOf(
  steps: readonly StepRecord[],
  order: readonly string[],
  spans: readonly StepSpan[],
): CriticalPath {
  const byId = new Map(spans.map((s) => [s.stepId, s]));
  const byName = new Map(steps.map((s) => [s.name, s]));
  const rank = new Map(order.map((name, i) => [name, i]));
  // A step that was settled and has been retried by hand since is not settled now.
  const settledAt = (name: string): number | undefined => {
    const step = byName.get(name);
    return step === undefined || !SETTLED_FOR_GOOD.has(step.state) ? undefined : byId.get(step.id)?.settledAt;
  };
  const latest = (names: readonly string[]): string | undefined => {
    let best: string | undefined;
    for (const name of names) {
      const at = settledAt(name);
      if (at === undefined) continue;
      const bestAt = best === undefined ? undefined : settledAt(best);
      if (
        bestAt === undefined ||
        at > bestAt ||
        (at === bestAt && (rank.get(name) ?? 0) > (rank.get(best as string) ?? 0))
      ) {
        best = name;
      }
    }
    return best;
  };
  const path: string[] = [];
  for (let at = latest(order); at !== undefined; at = latest(byName.get(at)?.dependsOn ?? [])) {
    path.unshift(at);
  }
  const critical = path.map((name): CriticalSpan => {
    const step = byName.get(name) as StepRecord;
    const span = byId.get(step.id) as StepSpan;
    const settled = span.settledAt as number;
    return {
      step: name,
      firstClaimedAt: span.firstClaimedAt,
      settledAt: settled,
      durationMs: span.firstClaimedAt === undefined ? 0 : Math.max(0, settled - span.firstClaimedAt),
      attempts: step.attempts,
    };
  });
  const first = critical[0];
  const last = critical[critical.length - 1];
  return {
    steps: path,
    spans: critical,
    durationMs:
      first === undefined || last === undefined
        ? 0
        : Math.max(0, last.settledAt - (first.firstClaimedAt ?? first.settledAt)),
    complete: steps.length > 0 && steps.every((s) => settledAt(s.name) !== undefined),
  };
}
