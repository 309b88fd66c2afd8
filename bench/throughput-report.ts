/**
 * Results of wall-clock throughput and latency benchmarks (the orchestrator's), where the
 * harness's ns/op groups do not fit: `bench/results/<subject>.json` and `.md` with the machine,
 * Node version, commit, settings, every raw round and run, the measurements against their
 * targets and the ratios. `bench/RESULTS.md` is rebuilt by the harness's `writeIndex()`, which
 * reads the `ratios` and `measurements` of every results file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  environment,
  type Measurement,
  markdownTable,
  type Ratio,
  RESULTS_DIR,
  targetText,
  writeIndex,
} from './harness';

/** One raw run, as the report lists it (it passed its checks: one that fails them fails the benchmark). */
export interface RawRun {
  readonly round: number;
  readonly system: string;
  readonly workload: string;
  readonly tasks: number;
  readonly steps: number;
  readonly submitMs: number;
  readonly runMs: number;
  readonly stepsPerSecond: number;
  readonly notes: readonly string[];
}

/** One latency round of one system. */
export interface LatencyRound {
  readonly round: number;
  readonly system: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Every sample, in ms. */
  readonly samplesMs: readonly number[];
}

/** A table of the results file beyond runs and latency (the rounds of a fault, for example). */
export interface ReportTable {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** A sentence under the table. */
  readonly note?: string;
}

export interface ThroughputReport {
  readonly subject: string;
  readonly description: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Per system: what its connections report (`fsync`, `synchronous_commit`). */
  readonly durability: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly runs: readonly RawRun[];
  /** Idle latency rounds; the section is left out when there are none. */
  readonly latency: readonly LatencyRound[];
  /** More tables, after the runs (their raw data belongs in `data`). */
  readonly tables?: readonly ReportTable[];
  /** Raw figures that the JSON file carries and the tables summarise. */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly measurements: readonly Measurement[];
  readonly ratios: readonly Ratio[];
  readonly notes: readonly string[];
  /** Facts measured before the first round (the load average then, for example). */
  readonly before: Readonly<Record<string, unknown>>;
}

/** The `q` quantile (0..1) of `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

function verdict(target: number | undefined, direction: Measurement['direction'], met?: boolean): string {
  return target === undefined ? '—' : `${targetText(target, direction)} (${met ? 'met' : 'MISSED'})`;
}

function markdown(report: ThroughputReport, env: Record<string, unknown>): string {
  const lines = [`# ${report.subject}`, '', report.description, ''];
  const facts = Object.entries({ ...env, ...report.before }).map(([k, v]) => [
    k,
    Array.isArray(v) ? v.join(' / ') : String(v),
  ]);
  lines.push(...markdownTable(['machine fact', 'value'], facts), '');
  lines.push('## Settings', '');
  lines.push(
    ...markdownTable(
      ['setting', 'value'],
      Object.entries(report.settings).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ),
    '',
  );
  lines.push('## Durability (asserted before the first round)', '');
  lines.push(
    ...markdownTable(
      ['system', 'fsync', 'synchronous_commit'],
      Object.entries(report.durability).map(([s, d]) => [s, d.fsync ?? '?', d.synchronousCommit ?? '?']),
    ),
    '',
  );
  lines.push('## Targets (medians of the rounds)', '');
  lines.push(
    ...markdownTable(
      ['measurement', 'median', 'target', 'every round'],
      report.measurements.map((m) => [
        m.label,
        `${m.median} ${m.unit}`,
        verdict(m.target, m.direction, m.meetsTarget),
        m.rounds.join(', '),
      ]),
    ),
    '',
  );
  if (report.ratios.length > 0) {
    lines.push('## Ratios (same run)', '');
    lines.push(
      ...markdownTable(
        ['ratio', 'value', 'target', 'numerator', 'denominator'],
        report.ratios.map((r) => [
          r.label,
          String(r.value),
          verdict(r.target, r.direction, r.meetsTarget),
          r.numerator,
          r.denominator,
        ]),
      ),
      '',
    );
  }
  if (report.runs.length > 0)
    lines.push(
      '## Every run',
      '',
      ...markdownTable(
        ['round', 'system', 'workload', 'tasks', 'steps', 'submit ms', 'run ms', 'steps/s', 'notes'],
        report.runs.map((r) => [
          String(r.round),
          r.system,
          r.workload,
          String(r.tasks),
          String(r.steps),
          String(Math.round(r.submitMs)),
          String(Math.round(r.runMs)),
          String(Math.round(r.stepsPerSecond)),
          r.notes.join('; '),
        ]),
      ),
      '',
    );
  for (const t of report.tables ?? []) {
    lines.push(
      `## ${t.title}`,
      '',
      ...markdownTable(
        [...t.header],
        t.rows.map((r) => [...r]),
      ),
      '',
    );
    if (t.note !== undefined) lines.push(t.note, '');
  }
  if (report.latency.length > 0) {
    lines.push('## Idle latency of one 4-step workflow, every round (ms)', '');
    lines.push(
      ...markdownTable(
        ['round', 'system', 'samples', 'p50', 'p90', 'p99', 'max'],
        report.latency.map((l) => [
          String(l.round),
          l.system,
          String(l.samplesMs.length),
          String(round1(l.p50)),
          String(round1(l.p90)),
          String(round1(l.p99)),
          String(round1(l.max)),
        ]),
      ),
      '',
    );
    lines.push('Every latency sample (ms) is in the JSON file next to this one.', '');
  }
  if (report.notes.length > 0) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return `${lines.join('\n')}`;
}

/** Writes `bench/results/<subject>.json` and `.md`, rebuilds `bench/RESULTS.md`, prints a summary. */
export function writeThroughputReport(report: ThroughputReport): void {
  const env = environment();
  const file = join(RESULTS_DIR, `${report.subject}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, groups: [], environment: env }, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${report.subject}.md`), markdown(report, env));
  for (const m of report.measurements)
    console.log(`${m.label}: ${m.median} ${m.unit}  ${verdict(m.target, m.direction, m.meetsTarget)}`);
  for (const r of report.ratios)
    console.log(`ratio ${r.label}: ${r.value}  ${verdict(r.target, r.direction, r.meetsTarget)}`);
  writeIndex();
  console.log(`\nwrote ${file}`);
}
