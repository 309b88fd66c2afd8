/**
 * What a careful npm consumer gets. The five packages are packed and installed with
 * `npm install` into a scratch project (with the optional peers the adapters' subpaths import,
 * and @types/node), WITHOUT @electric-sql/pglite and swagger-ui-dist. One TypeScript file that
 * imports every package and subpath is then compiled with the workspace's `tsc` under four
 * settings, and run as ESM and as CommonJS:
 *
 * | setting                                   | emits            | run with node |
 * | ----------------------------------------- | ---------------- | ------------- |
 * | module nodenext                           | ESM (type module)| yes           |
 * | module esnext + moduleResolution bundler  | nothing          |               |
 * | module commonjs + moduleResolution node   | CommonJS         | yes           |
 * | module nodenext + skipLibCheck false      | nothing          |               |
 *
 * The runs show that the heavy optional peers fail when used, not at import, and name their
 * install command: the default PGlite store at `start()`, and `/docs` as a problem response.
 * The tarballs' contents are checked too: LICENSE, README.md (and CHANGELOG.md once the package
 * has one), the committed `tasker` bin wrapper, no source maps, no CommonJS copy of the CLI,
 * caret ranges instead of `workspace:` ones.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInstallInto, PACKAGES_DIR, packPackages, userEnv } from '../support/packed-install';

const DIRS = ['router', 'metrics-native', 'exporter-prometheus', 'orchestrator', 'adapters'] as const;
const TSC = join(PACKAGES_DIR, '..', 'node_modules', 'typescript', 'bin', 'tsc');

// Every package and subpath, each used at run time so that nothing is elided.
const CONSUMER_SOURCE = `import { createEventRouter } from '@tasker/router';
import { SAMPLE_PAYLOADS } from '@tasker/router/testing';
import { createRegistry } from '@tasker/metrics-native';
import { serialize } from '@tasker/exporter-prometheus';
import { createTasker, defineTask, isTaskerError, type PgliteLike } from '@tasker/orchestrator';
import { runStoreContract } from '@tasker/orchestrator/testing';
import { createTaskerApi, type Problem } from '@tasker/orchestrator/api';
import { isAdapterError } from '@tasker/adapters';
import { createOtelMetricsBackend } from '@tasker/adapters/otel';
import { createPromClientBackend } from '@tasker/adapters/prom-client';
import { createLogsBackend } from '@tasker/adapters/logs';
import { createNativeMetricsBackend } from '@tasker/adapters/native';

const loaded: string[] = [
  typeof createEventRouter,
  typeof SAMPLE_PAYLOADS,
  typeof createRegistry,
  typeof serialize,
  typeof runStoreContract,
  typeof isAdapterError,
  typeof createOtelMetricsBackend,
  typeof createPromClientBackend,
  typeof createLogsBackend,
  typeof createNativeMetricsBackend,
];
// A user's own PGlite instance is typed structurally: no PGlite types are needed to compile.
const ownDb: PgliteLike | undefined = undefined;

async function main(): Promise<void> {
  const noop = defineTask({
    namespace: 'consumer',
    name: 'noop',
    version: '1.0.0',
    steps: [{ name: 'only', handler: async () => 'done' }],
  });
  const tasker = createTasker({ tasks: [noop] });
  let store = 'started';
  try {
    await tasker.start();
  } catch (error) {
    store = isTaskerError(error) ? error.code + ': ' + error.message : 'unexpected: ' + String(error);
  }
  const api = createTaskerApi({ tasker });
  const response = await api.fetch(new Request('http://localhost/tasker/docs'));
  const problem = (await response.json()) as Problem;
  await tasker.stop();
  console.log(
    JSON.stringify({
      loaded,
      ownDb: ownDb === undefined,
      store,
      docs: { status: response.status, contentType: response.headers.get('content-type'), problem },
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

interface Setting {
  readonly name: string;
  readonly compilerOptions: Record<string, unknown>;
}

const SETTINGS: readonly Setting[] = [
  { name: 'nodenext', compilerOptions: { module: 'nodenext', outDir: 'out/esm' } },
  { name: 'bundler', compilerOptions: { module: 'esnext', moduleResolution: 'bundler', noEmit: true } },
  {
    name: 'commonjs-node',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node', outDir: 'out/cjs' },
  },
  { name: 'no-skip-lib-check', compilerOptions: { module: 'nodenext', skipLibCheck: false, noEmit: true } },
];

describe('the packed packages, installed with npm by a consumer', () => {
  const scratch = mkdtempSync(join(os.tmpdir(), 'tasker-consumer-'));
  const app = join(scratch, 'app');
  let tarballs: string[] = [];
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  beforeAll(() => {
    tarballs = packPackages(DIRS, join(scratch, 'packs'));
    npmInstallInto(app, { name: 'consumer', private: true, type: 'module' }, [
      ...tarballs,
      '@opentelemetry/api@1.9.1',
      'prom-client@15.1.3',
      'pino@10.4.0',
      '@types/node@20.19.43',
    ]);
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'consumer.ts'), CONSUMER_SOURCE);
    for (const setting of SETTINGS) {
      const tsconfig = {
        compilerOptions: {
          target: 'es2022',
          strict: true,
          types: ['node'],
          skipLibCheck: true,
          rootDir: 'src',
          ...setting.compilerOptions,
        },
        include: ['src'],
      };
      writeFileSync(join(app, `tsconfig.${setting.name}.json`), `${JSON.stringify(tsconfig, null, 2)}\n`);
    }
  }, 420_000);

  it('packs LICENSE, README.md, the bin wrapper and CHANGELOG.md when present; no maps, no cli.cjs', () => {
    for (const [i, dir] of DIRS.entries()) {
      const files = execFileSync('tar', ['-tzf', tarballs[i] as string], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((f) => f.replace(/^package\//, ''));
      expect(files, dir).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
      expect(
        files.filter((f) => f.endsWith('.map') || f.endsWith('cli.cjs')),
        dir,
      ).toEqual([]);
      // The lead engineer writes CHANGELOG.md when cutting a release: it must reach the tarball.
      const manifest = JSON.parse(readFileSync(join(PACKAGES_DIR, dir, 'package.json'), 'utf8'));
      expect(manifest.files, dir).toContain('CHANGELOG.md');
      expect(files.includes('CHANGELOG.md'), dir).toBe(existsSync(join(PACKAGES_DIR, dir, 'CHANGELOG.md')));
      expect(
        files.some((f) => !/^(dist\/|bin\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(f)),
        dir,
      ).toBe(false);
    }
    const orchestrator = join(app, 'node_modules', '@tasker', 'orchestrator');
    expect(readdirSync(join(orchestrator, 'bin'))).toEqual(['tasker.js']);
  });

  it('declares caret ranges for our packages and keeps PGlite and swagger-ui-dist optional peers', () => {
    for (const dir of DIRS) {
      const packed = JSON.parse(
        readFileSync(join(app, 'node_modules', '@tasker', dir, 'package.json'), 'utf8'),
      ) as Record<string, Record<string, string> | undefined>;
      for (const [name, range] of Object.entries(packed.dependencies ?? {})) {
        expect(range, `${dir} → ${name}`).toMatch(/^\^\d/);
      }
      expect(JSON.stringify(packed), dir).not.toContain('workspace:');
    }
    // npm does not install optional peers: the scratch project has neither.
    expect(existsSync(join(app, 'node_modules', '@electric-sql', 'pglite'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'swagger-ui-dist'))).toBe(false);
  });

  it('keeps PGlite out of the public declarations', () => {
    const dist = join(app, 'node_modules', '@tasker', 'orchestrator', 'dist');
    for (const file of readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f))) {
      expect(readFileSync(join(dist, file), 'utf8'), file).not.toMatch(/from ['"]@electric-sql\/pglite/);
    }
  });

  it.each(SETTINGS.map((s) => s.name))('compiles a file importing every package and subpath (%s)', (name) => {
    const result = spawnSync(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], {
      cwd: app,
      env: userEnv,
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([
    ['ESM', 'out/esm/consumer.js', {}],
    ['CommonJS', 'out/cjs/consumer.js', { type: 'commonjs' }],
  ] as const)(
    'runs as %s; PGlite and swagger-ui-dist fail only when used, with the install command',
    (_, file, scope) => {
      const outDir = join(app, file, '..');
      if (Object.keys(scope).length > 0) writeFileSync(join(outDir, 'package.json'), JSON.stringify(scope));
      const out = execFileSync(process.execPath, [file], { cwd: app, env: userEnv, encoding: 'utf8' });
      const report = JSON.parse(out) as {
        loaded: string[];
        ownDb: boolean;
        store: string;
        docs: { status: number; contentType: string; problem: Record<string, unknown> };
      };
      expect(report.loaded.every((t) => t === 'function' || t === 'object')).toBe(true);
      expect(report.ownDb).toBe(true);
      expect(report.store).toBe(
        'STORE_ERROR: The embedded PGlite store (the default when no store is configured) needs the optional package "@electric-sql/pglite", which is not installed: run `npm install @electric-sql/pglite@^0.5.17`, or configure a PostgreSQL store (store: { kind: "postgres" })',
      );
      expect(report.docs.status).toBe(501);
      expect(report.docs.contentType).toMatch(/^application\/problem\+json/);
      expect(report.docs.problem).toEqual({
        type: 'about:blank',
        title: 'Not Implemented',
        status: 501,
        code: 'DOCS_UNAVAILABLE',
        detail:
          'The documentation page (/docs) needs the optional package "swagger-ui-dist", which is not installed: run `npm install swagger-ui-dist@^5.35.0`',
      });
    },
  );

  it('links the tasker executable, which runs the built CLI', () => {
    const result = spawnSync(join(app, 'node_modules', '.bin', 'tasker'), ['--help'], {
      cwd: app,
      env: userEnv,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: tasker');
  });
});
