/**
 * Dependency graphs of step DAGs. `dependencyGraph` describes a definition: every dependency
 * is an edge (the original Tasker ignored `depends_on_steps`), each step has a level (its
 * longest distance from a root) and the execution order is topological, parents first, ties
 * kept in definition order.
 */

/** A step and the names of its parents. */
export interface GraphStep {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/** A definition's DAG. */
export interface DependencyGraph {
  readonly nodes: { name: string; dependsOn: string[]; level: number }[];
  readonly edges: { from: string; to: string }[];
  readonly executionOrder: string[];
}

/** Kahn's algorithm, stable in input order. Steps in a cycle (never in a valid definition) come last. */
export function topologicalOrder(steps: readonly GraphStep[]): string[] {
  const indegree = new Map(steps.map((s) => [s.name, 0]));
  const children = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const s of steps) {
    for (const parent of s.dependsOn) {
      if (!indegree.has(parent)) continue;
      indegree.set(s.name, (indegree.get(s.name) ?? 0) + 1);
      children.get(parent)?.push(s.name);
    }
  }
  const order: string[] = [];
  const queue = steps.filter((s) => indegree.get(s.name) === 0).map((s) => s.name);
  const position = new Map(steps.map((s, i) => [s.name, i]));
  while (queue.length > 0) {
    queue.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
    const next = queue.shift() as string;
    order.push(next);
    for (const child of children.get(next) ?? []) {
      const d = (indegree.get(child) ?? 0) - 1;
      indegree.set(child, d);
      if (d === 0) queue.push(child);
    }
  }
  for (const s of steps) if (!order.includes(s.name)) order.push(s.name);
  return order;
}

/** Each step's longest distance from a root (roots are level 0). */
export function levelsOf(steps: readonly GraphStep[], order: readonly string[]): Map<string, number> {
  const parents = new Map(steps.map((s) => [s.name, s.dependsOn]));
  const level = new Map<string, number>();
  for (const name of order) {
    let l = 0;
    for (const p of parents.get(name) ?? []) l = Math.max(l, (level.get(p) ?? 0) + 1);
    level.set(name, l);
  }
  return level;
}

/** The graph of a definition's step templates. */
export function dependencyGraph(steps: readonly GraphStep[]): DependencyGraph {
  const executionOrder = topologicalOrder(steps);
  const level = levelsOf(steps, executionOrder);
  return {
    nodes: steps.map((s) => ({ name: s.name, dependsOn: [...s.dependsOn], level: level.get(s.name) ?? 0 })),
    edges: steps.flatMap((s) => s.dependsOn.map((from) => ({ from, to: s.name }))),
    executionOrder,
  };
}
