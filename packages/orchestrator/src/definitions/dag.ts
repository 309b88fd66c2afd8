/**
 * Dependency-graph checks for a task definition: unknown dependencies and cycles (reported with
 * their path, `a → b → c → a`), and a topological order that the engine uses for positions.
 */

/** A step's name and the names of the steps it depends on. */
export interface DagNode {
  readonly name: string;
  readonly dependsOn: readonly string[];
}

/** The first unknown dependency, as `[step, dependency]`, or undefined. */
export function findUnknownDependency(nodes: readonly DagNode[]): [string, string] | undefined {
  const names = new Set(nodes.map((n) => n.name));
  for (const node of nodes) {
    for (const dep of node.dependsOn) if (!names.has(dep)) return [node.name, dep];
  }
  return undefined;
}

/**
 * A cycle as the list of step names along it, first name repeated at the end
 * (`['a', 'b', 'a']`), or undefined when the graph is acyclic. Edges point parent → child.
 */
export function findCycle(nodes: readonly DagNode[]): string[] | undefined {
  const parents = new Map(nodes.map((n) => [n.name, n.dependsOn]));
  const position = new Map(nodes.map((n, i) => [n.name, i]));
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 1);
    stack.push(name);
    for (const parent of parents.get(name) ?? []) {
      const s = state.get(parent);
      if (s === 1) {
        // The stack walks child → parent; report the cycle in dependency order (parent → child).
        // Start it at the step that comes first in the definition, so the report is stable.
        const cycle = stack.slice(stack.indexOf(parent)).reverse();
        let first = 0;
        for (let i = 1; i < cycle.length; i++) {
          if ((position.get(cycle[i] as string) ?? 0) < (position.get(cycle[first] as string) ?? 0))
            first = i;
        }
        const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
        return [...rotated, rotated[0] as string];
      }
      if (s === undefined) {
        const found = visit(parent);
        if (found !== undefined) return found;
      }
    }
    stack.pop();
    state.set(name, 2);
    return undefined;
  };
  for (const node of nodes) {
    if (state.get(node.name) === undefined) {
      const found = visit(node.name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Step names in an order where every parent comes before its children (stable by input). */
export function topologicalOrder(nodes: readonly DagNode[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const visit = (name: string) => {
    if (done.has(name)) return;
    done.add(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep);
    order.push(name);
  };
  for (const node of nodes) visit(node.name);
  return order;
}
