/**
 * What a test asserts about a statement's plan, on PostgreSQL or PGlite: it is prepared (the way
 * the driver prepares it) and explained both as a custom plan (its parameters known) and as a
 * generic one (planned once for any parameters, what a prepared statement may settle on).
 */
import type { SqlExecutor } from '../../src/index';

/** A node of `EXPLAIN (FORMAT JSON)`. */
interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Total Cost': number;
  readonly Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** One plan, in short: its nodes (`Seq Scan on steps`, `Index Scan on tasks using tasks_pkey`) and cost. */
export interface PlanSummary {
  readonly mode: 'custom' | 'generic';
  readonly nodes: string[];
  readonly totalCost: number;
  /** What is wrong with it for a hot read (empty when nothing is). */
  readonly problems: string[];
}

function describeNode(n: PlanNode): string {
  const on = n['Relation Name'] === undefined ? '' : ` on ${n['Relation Name']}`;
  const using = n['Index Name'] === undefined ? '' : ` using ${n['Index Name']}`;
  return `${n['Node Type']}${on}${using}`;
}

/**
 * Explains `text` with `params` (literals, quoted here) as a custom and a generic plan. A plan
 * has a problem when it scans a table sequentially, runs parallel workers (`Gather`), or
 * costs enough for JIT compilation (`jit_above_cost`) where JIT is on.
 */
export async function explainHotRead(
  db: SqlExecutor,
  text: string,
  params: readonly unknown[],
): Promise<PlanSummary[]> {
  const one = async (q: string) => (await db.query<Record<string, unknown>>(q)).rows[0] ?? {};
  const jitAbove = Number((await one('show jit_above_cost')).jit_above_cost);
  const literals = params
    .map((p) => (p === null ? 'null' : `'${String(p).replaceAll("'", "''")}'`))
    .join(', ');
  const summaries: PlanSummary[] = [];
  for (const mode of ['custom', 'generic'] as const) {
    await db.exec(`set plan_cache_mode = force_${mode}_plan`);
    await db.exec(`prepare hot_read as ${text}`);
    try {
      const explained = await one(`explain (format json) execute hot_read(${literals})`);
      const json = explained['QUERY PLAN'];
      const root = (typeof json === 'string' ? JSON.parse(json) : json)[0].Plan as PlanNode;
      const all = nodes(root);
      const problems = [
        ...all
          .filter((n) => n['Node Type'] === 'Seq Scan')
          .map((n) => `sequential scan of ${n['Relation Name']}`),
        ...all
          .filter((n) => n['Node Type'].startsWith('Gather'))
          .map((n) => `${n['Node Type']} (parallel workers)`),
        ...(jitAbove >= 0 && root['Total Cost'] >= jitAbove
          ? [`cost ${root['Total Cost']} reaches jit_above_cost (${jitAbove})`]
          : []),
      ];
      summaries.push({ mode, nodes: all.map(describeNode), totalCost: root['Total Cost'], problems });
    } finally {
      await db.exec('deallocate hot_read');
      await db.exec('reset plan_cache_mode');
    }
  }
  return summaries;
}

/**
 * One `pg` connection as an executor: the plan statements must run on one session (a pool
 * would spread `prepare` and `execute` over several).
 */
export function connectionExecutor(client: {
  query(text: string): Promise<{ rows: unknown[]; rowCount: number | null }>;
}): SqlExecutor {
  return {
    async query<Row>(text: string) {
      const r = await client.query(text);
      return { rows: r.rows as Row[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(text: string) {
      await client.query(text);
    },
  };
}
