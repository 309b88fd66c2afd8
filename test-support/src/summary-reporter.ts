/**
 * A vitest reporter that ends the run with what it tested against: which PostgreSQL and which
 * browser, and how many tests ran on each (from the marks the `describeWith*` helpers put on
 * every test), then every skipped suite by name. A run that claims to test PostgreSQL but shows
 * "0 tests" here did not.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { TaskerTestMeta } from './resources';

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

function count(map: Map<string, Tally>, key: string, state: string): void {
  let t = map.get(key);
  if (t === undefined) {
    t = { passed: 0, failed: 0, skipped: 0 };
    map.set(key, t);
  }
  if (state === 'passed') t.passed++;
  else if (state === 'failed') t.failed++;
  else t.skipped++;
}

function describeTally(t: Tally): string {
  const parts = [`${t.passed} passed`];
  if (t.failed > 0) parts.push(`${t.failed} failed`);
  if (t.skipped > 0) parts.push(`${t.skipped} skipped`);
  return parts.join(', ');
}

/** Prints the resources summary after vitest's own. */
export default class TaskerSummaryReporter implements Reporter {
  readonly #root: string;

  /** `root`: file names are printed relative to it (vitest passes the options of its tuple). */
  constructor(options: { root?: string } = {}) {
    this.#root = options.root ?? process.cwd();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const postgres = new Map<string, Tally>();
    const browser = new Map<string, Tally>();
    // file › top-level suite → number of skipped tests
    const skipped = new Map<string, number>();
    for (const module of testModules) {
      const file = relative(this.#root, module.moduleId);
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        const meta = test.meta() as TaskerTestMeta;
        if (meta.taskerPostgres !== undefined) count(postgres, meta.taskerPostgres, state);
        if (meta.taskerBrowser !== undefined) count(browser, meta.taskerBrowser, state);
        if (state === 'skipped') {
          const suite = test.fullName.split(' > ')[0] ?? test.name;
          const key = `${file} › ${suite}`;
          skipped.set(key, (skipped.get(key) ?? 0) + 1);
        }
      }
    }
    const lines = ['', 'Tested against'];
    if (postgres.size === 0) lines.push('  PostgreSQL: no test ran against PostgreSQL');
    for (const [label, t] of postgres) lines.push(`  PostgreSQL: ${label}: ${describeTally(t)}`);
    if (browser.size === 0) lines.push('  browser: no test ran in a browser');
    for (const [label, t] of browser) lines.push(`  browser: ${label}: ${describeTally(t)}`);
    if (skipped.size === 0) lines.push('  skipped: none');
    else {
      lines.push(
        '  skipped (each says why above; Debian-tool suites need the packages in .ci/debian-packages):',
      );
      for (const [key, n] of skipped) lines.push(`    ${key} (${n} test${n === 1 ? '' : 's'})`);
    }
    console.log(lines.join('\n'));
  }
}
