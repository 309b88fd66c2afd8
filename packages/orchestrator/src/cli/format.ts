/**
 * What the commands print: aligned tables, a task with its steps, and a definition's DAG as
 * text, Mermaid or Graphviz DOT. Everything reads the API's snake_case JSON.
 */

/** Columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A handler's DAG as the API gives it. */
export interface GraphWire {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly dependency_graph: {
    nodes: { name: string; depends_on: string[]; level: number }[];
    edges: { from: string; to: string }[];
    execution_order: string[];
  };
}

export function graphText(h: GraphWire): string {
  const g = h.dependency_graph;
  const levels = new Map<number, string[]>();
  for (const n of g.nodes) {
    const label = n.depends_on.length === 0 ? n.name : `${n.name} (after ${n.depends_on.join(', ')})`;
    levels.set(n.level, [...(levels.get(n.level) ?? []), label]);
  }
  const lines = [
    `${h.namespace}.${h.name}@${h.version}`,
    `execution order: ${g.execution_order.join(' → ')}`,
  ];
  for (const level of [...levels.keys()].sort((a, b) => a - b)) {
    lines.push(`level ${level}: ${(levels.get(level) ?? []).join(', ')}`);
  }
  return lines.join('\n');
}

const mermaidId = (name: string) => `s_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function graphMermaid(h: GraphWire): string {
  const g = h.dependency_graph;
  const lines = ['flowchart TD'];
  for (const n of g.nodes) lines.push(`  ${mermaidId(n.name)}["${n.name.replace(/"/g, '#quot;')}"]`);
  for (const e of g.edges) lines.push(`  ${mermaidId(e.from)} --> ${mermaidId(e.to)}`);
  return lines.join('\n');
}

export function graphDot(h: GraphWire): string {
  const g = h.dependency_graph;
  const q = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${q(`${h.namespace}.${h.name}@${h.version}`)} {`, '  rankdir=LR;'];
  for (const n of g.nodes) lines.push(`  ${q(n.name)};`);
  for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)};`);
  lines.push('}');
  return lines.join('\n');
}

/** A task as the API gives it (the fields the CLI prints; a list item has all but the steps). */
export interface TaskWire {
  readonly task_id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly status: string;
  readonly created_at: string;
  readonly completed_at: string | null;
  readonly reason?: string | null;
  readonly tags?: string[];
  readonly workflow_steps?: {
    name: string;
    workflow_step_id: string;
    status: string;
    attempts: number;
    duration_ms: number | null;
    error: { name: string; message: string } | null;
    next_attempt_at: string | null;
    /** Absent from servers before 0.2. */
    waiting_reason?: { code: string; message: string } | null;
  }[];
}

export function taskLine(t: TaskWire): string[] {
  return [t.task_id, `${t.namespace}.${t.name}@${t.version}`, t.status, t.created_at];
}

export function taskDetails(t: TaskWire): string {
  const lines = [
    `task ${t.task_id}`,
    `  ${t.namespace}.${t.name}@${t.version}  ${t.status}`,
    `  created ${t.created_at}${t.completed_at === null ? '' : `, finished ${t.completed_at}`}`,
  ];
  if (t.tags !== undefined && t.tags.length > 0) lines.push(`  tags: ${t.tags.join(', ')}`);
  if (t.reason) lines.push(`  reason: ${t.reason}`);
  const steps = t.workflow_steps ?? [];
  if (steps.length > 0) {
    lines.push(
      '',
      table(
        ['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'ID'],
        steps.map((s) => [
          s.name,
          s.status,
          String(s.attempts),
          s.duration_ms === null ? '-' : `${s.duration_ms} ms`,
          s.workflow_step_id,
        ]),
      ),
    );
    for (const s of steps) {
      if (s.error !== null) lines.push(`  ${s.name}: ${s.error.name}: ${s.error.message}`);
      if (s.waiting_reason) lines.push(`  ${s.name}: waiting: ${s.waiting_reason.message}`);
    }
  }
  return lines.join('\n');
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1_000],
];

/** Milliseconds in the largest unit that holds them exactly: `7 d`, `90 s`, `1500 ms`. */
export function duration(ms: number): string {
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** Which finished tasks a retention rule covers: `cancelled in ops`, `complete in every namespace but ops`. */
export function ruleLabel(rule: {
  state: string;
  namespace: string | null;
  excluded_namespaces?: readonly string[];
}): string {
  if (rule.namespace !== null) return `${rule.state} in ${rule.namespace}`;
  const excluded = rule.excluded_namespaces ?? [];
  return excluded.length === 0
    ? `${rule.state} in every namespace`
    : `${rule.state} in every namespace but ${excluded.join(', ')}`;
}
