/**
 * A small benchmark harness shared by every `bench/*.bench.ts`.
 *
 * - Each case is a function that runs its operation `n` times in its own plain loop, so the
 *   harness adds one call per round, not per operation.
 * - Cases of one group run interleaved, round after round, in a rotating order: drift on a
 *   shared machine hits every case alike, and the ratio is taken between cases measured side
 *   by side in the same process.
 * - Each benchmark writes `bench/results/<subject>.json` (the machine, Node version, commit and
 *   every raw round) and `bench/RESULTS.md` is rebuilt from all result files.
 */
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchCase {
  /** `Subject.method (scenario)`, e.g. `EventRouter.route (2 no-op backends)`. */
  readonly name: string;
  /** Runs the operation `n` times. */
  readonly run: (n: number) => unknown;
}

export interface GroupOptions {
  /** Operations per round. */
  readonly iterations: number;
  readonly rounds: number;
  /** Untimed rounds first, for the JIT. */
  readonly warmupRounds?: number;
  /**
   * `cpu` (default): this process's user + system CPU time (`process.cpuUsage`), so time the
   * process spends descheduled on a shared machine is not counted. `wall`: `hrtime`.
   */
  readonly clock?: 'cpu' | 'wall';
}

export interface CaseResult {
  readonly name: string;
  /** ns per operation, one entry per timed round. */
  readonly roundsNsPerOp: number[];
  readonly medianNsPerOp: number;
  readonly minNsPerOp: number;
}

export interface Ratio {
  /** What the ratio says, e.g. `route / emit`. */
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
  /** Ratio of medians. */
  readonly value: number;
  /** The issue's target for this ratio, if it has one (lower is better). */
  readonly target?: number;
  readonly meetsTarget?: boolean;
}

export interface BenchReport {
  readonly subject: string;
  readonly description: string;
  readonly groups: { name: string; options: GroupOptions; cases: CaseResult[] }[];
  readonly ratios: Ratio[];
  readonly notes?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(here, 'results');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function cpuNs(body: () => unknown): number {
  const start = process.cpuUsage();
  body();
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000;
}

function wallNs(body: () => unknown): number {
  const start = process.hrtime.bigint();
  body();
  return Number(process.hrtime.bigint() - start);
}

/** Runs `cases` interleaved and returns ns/op for every round of each. */
export function runGroup(cases: readonly BenchCase[], options: GroupOptions): CaseResult[] {
  const { iterations, rounds, warmupRounds = 3, clock = 'cpu' } = options;
  const elapsedNs = clock === 'cpu' ? cpuNs : wallNs;
  const raw = cases.map(() => [] as number[]);
  for (let r = 0; r < warmupRounds + rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const index = (r + k) % cases.length;
      const c = cases[index] as BenchCase;
      const elapsed = elapsedNs(() => c.run(iterations));
      if (r >= warmupRounds) (raw[index] as number[]).push(elapsed / iterations);
    }
  }
  return cases.map((c, i) => {
    const rows = (raw[i] as number[]).map((v) => Math.round(v * 1000) / 1000);
    return { name: c.name, roundsNsPerOp: rows, medianNsPerOp: median(rows), minNsPerOp: Math.min(...rows) };
  });
}

/** The median ratio `numerator / denominator` between two measured cases. */
export function ratio(
  results: readonly CaseResult[],
  label: string,
  numerator: string,
  denominator: string,
  target?: number,
): Ratio {
  const a = results.find((r) => r.name === numerator);
  const b = results.find((r) => r.name === denominator);
  if (a === undefined || b === undefined) throw new Error(`ratio "${label}": unknown case name`);
  const value = Math.round((a.medianNsPerOp / b.medianNsPerOp) * 1000) / 1000;
  return target === undefined
    ? { label, numerator, denominator, value }
    : { label, numerator, denominator, value, target, meetsTarget: value <= target };
}

function commit(): string {
  try {
    const sha = execSync('git rev-parse HEAD', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', {
      cwd: here,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty.length > 0 ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** The facts every results file carries. */
export function environment(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    commit: commit(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The human-readable results file: environment, ratios, medians and every raw round. */
function markdown(report: BenchReport, env: Record<string, unknown>): string {
  const lines = [`# ${report.subject}`, '', report.description, ''];
  lines.push('| machine fact | value |', '|---|---|');
  for (const [k, v] of Object.entries(env))
    lines.push(`| ${k} | ${Array.isArray(v) ? v.join(' / ') : String(v)} |`);
  lines.push('', '## Ratios (medians, same run)', '', '| ratio | value | target |', '|---|---|---|');
  for (const r of report.ratios) {
    const target = r.target === undefined ? '—' : `≤ ${r.target} (${r.meetsTarget ? 'met' : 'missed'})`;
    lines.push(`| ${r.label} | ${r.value} | ${target} |`);
  }
  for (const g of report.groups) {
    const clock = g.options.clock ?? 'cpu';
    lines.push(
      '',
      `## ${g.name}`,
      '',
      `${g.options.rounds} rounds × ${g.options.iterations} operations, ${clock} time, rounds interleaved.`,
      '',
    );
    lines.push('| case | median ns/op | min ns/op | every round (ns/op) |', '|---|---|---|---|');
    for (const c of g.cases) {
      lines.push(`| ${c.name} | ${c.medianNsPerOp} | ${c.minNsPerOp} | ${c.roundsNsPerOp.join(', ')} |`);
    }
  }
  if (report.notes !== undefined && report.notes.length > 0) {
    lines.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `bench/results/<subject>.json` (machine-readable) and `<subject>.md` (the same, for
 * people), rebuilds `bench/RESULTS.md`, and prints a summary.
 */
export function writeReport(report: BenchReport): void {
  const env = environment();
  const file = join(RESULTS_DIR, `${report.subject}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, environment: env }, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${report.subject}.md`), markdown(report, env));
  for (const g of report.groups) {
    console.log(`\n${g.name} (${g.options.rounds} rounds × ${g.options.iterations} ops)`);
    for (const c of g.cases)
      console.log(`  ${c.name.padEnd(58)} ${c.medianNsPerOp.toFixed(1).padStart(10)} ns/op (median)`);
  }
  for (const r of report.ratios) {
    const verdict =
      r.target === undefined
        ? ''
        : r.meetsTarget
          ? `  (target ≤ ${r.target}: met)`
          : `  (target ≤ ${r.target}: MISSED)`;
    console.log(`ratio ${r.label}: ${r.value}${verdict}`);
  }
  writeIndex();
  console.log(`\nwrote ${file}`);
}

/** Rebuilds `bench/RESULTS.md` from every results file. */
export function writeIndex(): void {
  const files = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const lines = [
    '# Benchmark results',
    '',
    'Generated by `pnpm bench` from the files in `results/`; each file holds the machine, the Node',
    'version, the commit and every raw round. Ratios are medians measured side by side in one',
    'process (lower is better for ours / theirs).',
    '',
    '| subject | ratio | value | target | commit | node | date |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const f of files) {
    const data = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchReport & {
      environment: { commit: string; node: string; date: string };
    };
    for (const r of data.ratios) {
      const target = r.target === undefined ? '—' : `≤ ${r.target} ${r.meetsTarget ? '(met)' : '(missed)'}`;
      lines.push(
        `| [${data.subject}](results/${f.replace(/\.json$/, '.md')}) | ${r.label} | ${r.value} | ${target} | ${data.environment.commit.slice(0, 12)} | ${data.environment.node} | ${data.environment.date.slice(0, 10)} |`,
      );
    }
  }
  writeFileSync(join(here, 'RESULTS.md'), `${lines.join('\n')}\n`);
}
