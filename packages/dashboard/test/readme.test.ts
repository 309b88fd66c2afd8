/**
 * The dashboard README's example runs as written (in its own process, on the sources) and prints
 * what the README says it prints.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(pkg, '.readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the README example prints what the README says', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```\n\nIt prints:\n\n```text\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  const [, code, prints] = blocks[0] as RegExpMatchArray;
  const file = join(dir, 'example.ts');
  writeFileSync(file, code as string);
  const out = execFileSync(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 90_000,
  });
  expect(out).toBe(prints);
}, 120_000);
