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

/**
 * How a value is held against its target: `atMost` (the default: ours / theirs ≤ target) or
 * `atLeast` (e.g. theirs / ours ≥ 8, "eight times faster").
 */
export type TargetDirection = 'atMost' | 'atLeast';

export interface Ratio {
  /** What the ratio says, e.g. `route / emit`. */
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
  /** Ratio of medians. */
  readonly value: number;
  /** The issue's target for this ratio, if it has one. */
  readonly target?: number;
  /** How `value` is held against `target`; absent means `atMost` (lower is better). */
  readonly direction?: TargetDirection;
  readonly meetsTarget?: boolean;
}

/**
 * A figure that is not a time per operation: heap bytes per series, GC count over a loop. Its
 * median comes from `rounds`, every one of which is reported.
 */
export interface Measurement {
  readonly label: string;
  readonly unit: string;
  readonly rounds: number[];
  readonly median: number;
  readonly target?: number;
  readonly direction?: TargetDirection;
  readonly meetsTarget?: boolean;
}

export interface BenchReport {
  readonly subject: string;
  readonly description: string;
  readonly groups: { name: string; options: GroupOptions; cases: CaseResult[] }[];
  readonly ratios: Ratio[];
  /** Figures other than times, such as heap bytes per series. */
  readonly measurements?: Measurement[];
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

/**
 * A run that failed its checks (it lost work, repeated it, broke an order): it is not a
 * measurement, so the benchmark stops and exits non-zero rather than report without it.
 */
export class BenchCheckError extends Error {
  override readonly name = 'BenchCheckError';
}

/** Throws a {@link BenchCheckError} naming `what` and every problem, unless there is none. */
export function assertChecked(what: string, problems: readonly string[]): void {
  if (problems.length > 0)
    throw new BenchCheckError(`${what} failed its checks, so the benchmark fails: ${problems.join('; ')}`);
}

function meets(value: number, target: number, direction: TargetDirection): boolean {
  return direction === 'atLeast' ? value >= target : value <= target;
}

/** `≤ 2` or `≥ 8`. */
export function targetText(target: number, direction: TargetDirection = 'atMost'): string {
  return `${direction === 'atLeast' ? '≥' : '≤'} ${target}`;
}

/**
 * The median ratio `numerator / denominator` between two measured cases. With a target, it is
 * met when the ratio is at most the target, or at least the target when `direction` is
 * `atLeast` (for "N times faster" targets, put the slower case in the numerator).
 */
export function ratio(
  results: readonly CaseResult[],
  label: string,
  numerator: string,
  denominator: string,
  target?: number,
  direction: TargetDirection = 'atMost',
): Ratio {
  const a = results.find((r) => r.name === numerator);
  const b = results.find((r) => r.name === denominator);
  if (a === undefined || b === undefined) throw new Error(`ratio "${label}": unknown case name`);
  const value = Math.round((a.medianNsPerOp / b.medianNsPerOp) * 1000) / 1000;
  if (target === undefined) return { label, numerator, denominator, value };
  const met = meets(value, target, direction);
  return direction === 'atMost'
    ? { label, numerator, denominator, value, target, meetsTarget: met }
    : { label, numerator, denominator, value, target, direction, meetsTarget: met };
}

/** A {@link Measurement} from its rounds (median), with an optional target. */
export function measurement(
  label: string,
  unit: string,
  rounds: number[],
  target?: number,
  direction: TargetDirection = 'atMost',
): Measurement {
  const value = Math.round(median(rounds) * 1000) / 1000;
  const rows = rounds.map((v) => Math.round(v * 1000) / 1000);
  return target === undefined
    ? { label, unit, rounds: rows, median: value }
    : {
        label,
        unit,
        rounds: rows,
        median: value,
        target,
        direction,
        meetsTarget: meets(value, target, direction),
      };
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
    const target =
      r.target === undefined
        ? '—'
        : `${targetText(r.target, r.direction)} (${r.meetsTarget ? 'met' : 'missed'})`;
    lines.push(`| ${r.label} | ${r.value} | ${target} |`);
  }
  if (report.measurements !== undefined && report.measurements.length > 0) {
    lines.push(
      '',
      '## Measurements (medians of rounds)',
      '',
      '| measurement | median | target | every round |',
    );
    lines.push('|---|---|---|---|');
    for (const m of report.measurements) {
      const target =
        m.target === undefined
          ? '—'
          : `${targetText(m.target, m.direction)} ${m.unit} (${m.meetsTarget ? 'met' : 'missed'})`;
      lines.push(`| ${m.label} | ${m.median} ${m.unit} | ${target} | ${m.rounds.join(', ')} |`);
    }
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
        : `  (target ${targetText(r.target, r.direction)}: ${r.meetsTarget ? 'met' : 'MISSED'})`;
    console.log(`ratio ${r.label}: ${r.value}${verdict}`);
  }
  for (const m of report.measurements ?? []) {
    const verdict =
      m.target === undefined
        ? ''
        : `  (target ${targetText(m.target, m.direction)}: ${m.meetsTarget ? 'met' : 'MISSED'})`;
    console.log(`${m.label}: ${m.median} ${m.unit}${verdict}`);
  }
  writeIndex();
  console.log(`\nwrote ${file}`);
}

/**
 * A markdown table with padded columns, as `biome format` lays it out, so that the generated
 * `RESULTS.md` passes the lint.
 */
export function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Rebuilds `bench/RESULTS.md` from every results file. */
export function writeIndex(): void {
  const files = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const rows: string[][] = [];
  for (const f of files) {
    const data = JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as BenchReport & {
      environment: { commit: string; node: string; date: string };
    };
    const link = `[${data.subject}](results/${f.replace(/\.json$/, '.md')})`;
    const facts = [
      data.environment.commit.slice(0, 12),
      data.environment.node,
      data.environment.date.slice(0, 10),
    ];
    for (const r of data.ratios) {
      const target =
        r.target === undefined
          ? '—'
          : `${targetText(r.target, r.direction)} ${r.meetsTarget ? '(met)' : '(missed)'}`;
      rows.push([link, r.label, String(r.value), target, ...facts]);
    }
    for (const m of data.measurements ?? []) {
      if (m.target === undefined) continue;
      const target = `${targetText(m.target, m.direction)} ${m.unit} ${m.meetsTarget ? '(met)' : '(missed)'}`;
      rows.push([link, m.label, `${m.median} ${m.unit}`, target, ...facts]);
    }
  }
  const lines = [
    '# Benchmark results',
    '',
    'Generated by `pnpm bench` from the files in `results/`; each file holds the machine, the Node',
    'version, the commit and every raw round. Ratios are medians measured side by side in one',
    'process (ours / theirs: lower is better; theirs / ours, marked ≥: higher is better).',
    '',
    ...markdownTable(['subject', 'ratio', 'value', 'target', 'commit', 'node', 'date'], rows),
  ];
  writeFileSync(join(here, 'RESULTS.md'), `${lines.join('\n')}\n`);
}
