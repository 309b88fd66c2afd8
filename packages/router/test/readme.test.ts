/**
 * The examples of the router's README, and the router block of the root README's tour, run as
 * written (each in its own process, on the sources) and print what the READMEs say they print.
 * Every `ts` block of the router README is either run here or named below as a fragment, so a
 * new example cannot go untested by accident.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));

interface Example {
  readonly code: string;
  /** The `text` block after "It prints:", if the example has one. */
  readonly prints: string | undefined;
}

/** The `ts` blocks of a README, each with the output it promises. */
function examples(readme: string): Example[] {
  // "It prints" opens the paragraph right after the block; the paragraph may run on for lines.
  return [
    ...readme.matchAll(
      /```ts\n([\s\S]*?)```\n(?:\nIt prints[^\n]*(?:\n[^\n]+)*\n\n```text\n([\s\S]*?)```)?/g,
    ),
  ].map((m) => ({ code: m[1] as string, prints: m[2] }));
}

/** Blocks that show a piece of a program, not a program: each with why it is not run. */
const FRAGMENTS: Record<string, string> = {
  'runBackendContract(': 'a vitest file that needs your own backend (createAuditBackend)',
};

// Examples run inside the package, so that `@tasker/router` resolves as a user's would.
const dir = mkdtempSync(join(pkg, '.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function run(code: string): string {
  const file = join(dir, `example-${files++}.ts`);
  writeFileSync(file, code);
  return execFileSync(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the router README', () => {
  const all = examples(readFileSync(join(pkg, 'README.md'), 'utf8'));
  const runnable = all.filter((e) => !Object.keys(FRAGMENTS).some((marker) => e.code.includes(marker)));

  it('has an output for every example that is not a named fragment', () => {
    expect(all.length - runnable.length).toBe(Object.keys(FRAGMENTS).length);
    expect(runnable.length).toBeGreaterThanOrEqual(3);
    for (const example of runnable) expect(example.prints, example.code).toBeDefined();
  });

  for (const [i, example] of runnable.entries()) {
    const title = example.code.split('\n').find((l) => l.startsWith('const router') || l.startsWith('//'));
    it(`example ${i + 1} prints what the README says (${title ?? 'no title'})`, () => {
      expect(run(example.code)).toBe(example.prints);
    }, 60_000);
  }
});

describe('the root README', () => {
  it('the router on its own prints what the tour says', () => {
    const readme = readFileSync(join(pkg, '../../README.md'), 'utf8');
    const tour = examples(readme.slice(readme.indexOf('The router on its own:')))[0] as Example;
    expect(tour.code).toContain("router.map('step.*'");
    expect(tour.prints).toBeDefined();
    expect(run(tour.code)).toBe(tour.prints);
  }, 60_000);
});
