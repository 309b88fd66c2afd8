/**
 * The dashboard README's examples run as written (in its own process, on the sources) and print
 * what the README says they print.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(pkg, '.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the README examples print what the README says', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```\n\nIt prints:\n\n```text\n([\s\S]*?)```/g)];
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  for (const [i, block] of blocks.entries()) {
    const [, code, prints] = block;
    const file = join(dir, `example-${i}.ts`);
    writeFileSync(file, code as string);
    const out = execFileSync(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(out).toBe(prints);
  }
}, 180_000);
