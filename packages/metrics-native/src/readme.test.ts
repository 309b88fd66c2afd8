import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The ESM entry of tsx's register API, which a plain Node thread imports to load TypeScript. */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(join(dirname(manifest), exports['./esm/api']?.import.default ?? '')).href;
}

describe('the README example', () => {
  const files: string[] = [];
  afterEach(() => {
    for (const file of files.splice(0)) rmSync(file, { force: true, recursive: true });
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

  it('runs the worker-threads example and prints what the README says', async () => {
    const source = block('## Sharing a registry across worker threads', 'js');
    const expected = block('It prints (the order', 'text');
    const dir = mkdtempSync(join(tmpdir(), 'metrics-native-readme-threads-'));
    files.push(dir);
    // The example imports the package; here every thread loads it from this package's
    // TypeScript source through a module that registers tsx in that thread first (Node 20 does
    // not carry `--import tsx` into worker threads).
    const index = pathToFileURL(fileURLToPath(new URL('./index.ts', import.meta.url))).href;
    writeFileSync(
      join(dir, 'metrics-native.mjs'),
      `import { register } from ${JSON.stringify(tsxApi())};\nregister();\nconst m = await import(${JSON.stringify(index)});\nexport const { attachSharedRegistry, createSharedRegistry } = m;\n`,
    );
    expect(source).toContain("from '@tasker/metrics-native'");
    const file = join(dir, 'threads.mjs');
    writeFileSync(file, source.replace("from '@tasker/metrics-native'", "from './metrics-native.mjs'"));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { timeout: 60_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      );
    });
    expect(stdout).toBe(expected);
  });
});
