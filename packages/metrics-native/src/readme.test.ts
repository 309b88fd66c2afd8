import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

function block(after: string, language: string): string {
  const start = readme.indexOf(after);
  if (start < 0) throw new Error(`README has no "${after}"`);
  const open = readme.indexOf(`\`\`\`${language}\n`, start);
  const close = readme.indexOf('```', open + 3 + language.length);
  return readme.slice(open + 4 + language.length, close);
}

describe('the README example', () => {
  const files: string[] = [];
  afterEach(() => {
    for (const file of files.splice(0)) rmSync(file, { force: true });
    vi.restoreAllMocks();
  });

  it.each([['## Example'], ['### Collecting in slices'], ['**Self-metrics.**']])(
    '%s runs and prints what the README says',
    async (heading) => {
      const source = block(heading, 'ts');
      const expected = block(`${heading}`, 'text');
      const index = fileURLToPath(new URL('./index.ts', import.meta.url));
      const file = join(tmpdir(), `metrics-native-readme-${randomUUID()}.ts`);
      files.push(file);
      expect(source).toContain("from '@tasker/metrics-native'");
      writeFileSync(file, source.replace("from '@tasker/metrics-native'", `from ${JSON.stringify(index)}`));
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
        printed.push(format(...args));
      });
      await import(pathToFileURL(file).href);
      expect(`${printed.join('\n')}\n`).toBe(expected);
    },
  );
});
