/**
 * `scripts/build-if-stale.mjs`, which `pnpm start` runs before the quickstart: on a small
 * workspace of its own (two packages, `b` depending on `a`, whose build copies `src/` to `dist/`
 * and logs its name), it builds what is missing, then nothing, then only what an edit made stale
 * and what depends on it, in dependency order. The script finds its workspace from its own
 * location, so it is copied into the scratch workspace's `scripts/`.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/build-if-stale.mjs', import.meta.url));
const ROOT_MANIFEST = fileURLToPath(new URL('../../../../package.json', import.meta.url));

/** A build: src/index.js → dist/index.js and dist/index.d.ts, and the package's name in build.log. */
const COPY_BUILD = `
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
const name = JSON.parse((await import('node:fs')).readFileSync('package.json', 'utf8')).name;
mkdirSync('dist', { recursive: true });
copyFileSync('src/index.js', 'dist/index.js');
writeFileSync('dist/index.d.ts', 'export {};\\n');
appendFileSync('../../build.log', name + '\\n');
`;

describe('build-if-stale', () => {
  let root: string;
  const log = () => readFileSync(join(root, 'build.log'), 'utf8').split('\n').filter(Boolean);
  const run = () => {
    writeFileSync(join(root, 'build.log'), '');
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-if-stale.mjs')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return { built: log(), said: r.stderr.split('\n').filter((l) => l.startsWith('build-if-stale:')) };
  };
  /** An edit, as far as times go: the file is modified now, after every build so far. */
  const touch = (file: string) => {
    const now = new Date();
    utimesSync(join(root, file), now, now);
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
    const { packageManager } = JSON.parse(readFileSync(ROOT_MANIFEST, 'utf8')) as { packageManager: string };
    writeFileSync(
      join(root, 'package.json'),
      JSON.stringify({ name: 'scratch', private: true, packageManager }),
    );
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    writeFileSync(join(root, 'tsup.base.ts'), 'export {};\n');
    writeFileSync(join(root, 'copy-build.mjs'), COPY_BUILD);
    mkdirSync(join(root, 'scripts'));
    copyFileSync(SCRIPT, join(root, 'scripts', 'build-if-stale.mjs'));
    for (const [name, deps] of [
      ['a', {}],
      ['b', { '@scratch/a': 'workspace:*' }],
    ] as const) {
      mkdirSync(join(root, 'packages', name, 'src'), { recursive: true });
      writeFileSync(join(root, 'packages', name, 'src', 'index.js'), `export const name = '${name}';\n`);
      writeFileSync(
        join(root, 'packages', name, 'package.json'),
        JSON.stringify({
          name: `@scratch/${name}`,
          type: 'module',
          main: './dist/index.js',
          types: './dist/index.d.ts',
          scripts: { build: 'node ../../copy-build.mjs' },
          dependencies: deps,
        }),
      );
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds what was never built, dependencies first', () => {
    const { built, said } = run();
    expect(built).toEqual(['@scratch/a', '@scratch/b']);
    expect(said).toContain('build-if-stale: building @scratch/a: ./dist/index.js is missing');
  }, 120_000);

  it('builds nothing when every dist is newer than its inputs', () => {
    const { built, said } = run();
    expect(built).toEqual([]);
    expect(said).toEqual([expect.stringMatching(/^build-if-stale: 2 of 2 packages up to date/)]);
  }, 120_000);

  it('rebuilds an edited package and what depends on it, and nothing else', () => {
    touch('packages/a/src/index.js');
    const first = run();
    expect(first.built).toEqual(['@scratch/a', '@scratch/b']);
    expect(first.said).toContain(
      'build-if-stale: building @scratch/b: it depends on @scratch/a, which is rebuilt',
    );
    touch('packages/b/src/index.js');
    expect(run().built).toEqual(['@scratch/b']);
  }, 120_000);

  it('ignores the tests beside the code, but not the shared build configuration', () => {
    writeFileSync(join(root, 'packages', 'a', 'src', 'index.test.ts'), '// a test\n');
    touch('packages/a/src/index.test.ts');
    expect(run().built).toEqual([]);
    touch('tsup.base.ts');
    expect(run().built).toEqual(['@scratch/a', '@scratch/b']);
  }, 120_000);

  it('rebuilds a package whose dist lost a file it names (an interrupted build)', () => {
    rmSync(join(root, 'packages', 'b', 'dist', 'index.d.ts'));
    const { built, said } = run();
    expect(built).toEqual(['@scratch/b']);
    expect(said).toContain('build-if-stale: building @scratch/b: ./dist/index.d.ts is missing');
  }, 120_000);
});
