/**
 * The README's PostgreSQL program, run as written (its code block copied into a file inside the
 * package, run on the sources): it prints what the README says, and its process exits by itself,
 * which it does only because it closes the store it made (`tasker.stop()` leaves a store passed
 * as `store:` open; its pool and LISTEN connection would keep the process alive).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { runToExit } from '../../../../test-support/src/run-to-exit';
import { describeWithPostgres } from '../support/postgres';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = 'createPostgresStore({ connectionString: process.env.DATABASE_URL })';
/** Far more than the program needs (about 2 s here), yet an end: a hang fails the test. */
const EXIT_WITHIN_MS = 60_000;

/** The README's ```ts block holding `marker`. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1] as string)
    .find((b) => b.includes(marker));
  if (block === undefined) throw new Error(`no README example contains ${marker}`);
  return block;
}

describeWithPostgres('the README’s PostgreSQL program', (database) => {
  // Inside the package, so that its imports resolve as a user's would.
  const dir = mkdtempSync(join(pkg, '.readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints what the README promises and exits by itself with code 0', async () => {
    const code = readmeBlock(MARKER);
    const promised = (code.match(/console\.log\([^\n]*\n\s*\/\/ ([^\n]*)/) as RegExpMatchArray)[1];
    const file = join(dir, 'postgres-example.ts');
    writeFileSync(file, code);
    const run = await runToExit(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
      cwd: pkg,
      env: { ...process.env, DATABASE_URL: database().url },
      timeoutMs: EXIT_WITHIN_MS,
    });
    expect(run.timedOut, `still running after ${EXIT_WITHIN_MS} ms: ${run.stdout}${run.stderr}`).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(promised);
  }, 120_000);
});
