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

/** Runs `cases` interleaved and returns ns/op for every round of each. */
export function runGroup(cases: readonly BenchCase[], options: GroupOptions): CaseResult[] {
  const { iterations, rounds, warmupRounds = 3 } = options;
  const raw = cases.map(() => [] as number[]);
  for (let r = 0; r < warmupRounds + rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const index = (r + k) % cases.length;
      const c = cases[index] as BenchCase;
      const start = process.hrtime.bigint();
      c.run(iterations);
      const elapsed = Number(process.hrtime.bigint() - start);
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
  return target === undefined ? { label, numerator, denominator, value } : { label, numerator, denominator, value, target, meetsTarget: value <= target };
}

function commit(): string {
  try {
    const sha = execSync('git rev-parse HEAD', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: here, stdio: ['ignore', 'pipe', 'ignore'] })
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

/** Writes `bench/results/<subject>.json`, rebuilds `bench/RESULTS.md`, prints a summary. */
export function writeReport(report: BenchReport): void {
  const file = join(RESULTS_DIR, `${report.subject}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, environment: environment() }, null, 2)}\n`);
  for (const g of report.groups) {
    console.log(`\n${g.name} (${g.options.rounds} rounds × ${g.options.iterations} ops)`);
    for (const c of g.cases) console.log(`  ${c.name.padEnd(58)} ${c.medianNsPerOp.toFixed(1).padStart(10)} ns/op (median)`);
  }
  for (const r of report.ratios) {
    const verdict = r.target === undefined ? '' : r.meetsTarget ? `  (target ≤ ${r.target}: met)` : `  (target ≤ ${r.target}: MISSED)`;
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
        `| [${data.subject}](results/${f}) | ${r.label} | ${r.value} | ${target} | ${data.environment.commit.slice(0, 12)} | ${data.environment.node} | ${data.environment.date.slice(0, 10)} |`,
      );
    }
  }
  writeFileSync(join(here, 'RESULTS.md'), `${lines.join('\n')}\n`);
}
