/**
 * The README's `submitMany` program, run as written (its code block copied into a file inside
 * the package, run on the sources with PGlite in memory): it prints what its comments say.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runToExit } from '../../../../test-support/src/run-to-exit';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const MARKER = 'await tasker.submitMany(requests)';

describe('the README’s submitMany program', () => {
  const dir = mkdtempSync(join(pkg, '.readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints what its comments promise and exits by itself with code 0', async () => {
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .find((b) => b.includes(MARKER));
    if (code === undefined) throw new Error(`no README example contains ${MARKER}`);
    const file = join(dir, 'submit-many-example.ts');
    writeFileSync(file, code);
    const run = await runToExit(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
      cwd: pkg,
      env: { ...process.env },
      timeoutMs: 90_000,
    });
    expect(run.timedOut, `still running: ${run.stdout}${run.stderr}`).toBe(false);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      '[ true, true, true ]',
      'true',
      '1 SUBMIT_INVALID',
      'sent to ada@example.com',
      'sent to alan@example.com',
      'sent to grace@example.com',
    ]);
  }, 120_000);
});
