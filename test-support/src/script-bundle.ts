/**
 * A TypeScript script compiled once into one ES module, for tests that start many processes of
 * it. Loading a script through tsx costs some 1.8 s of CPU per process here (tsx's loader thread,
 * then every workspace module transformed on import); the bundle loads in some 0.65 s.
 *
 * The workspace's own packages (`@tasker/*`, resolved to their TypeScript sources through the
 * `@tasker/source` condition, as tsx runs them) and relative imports are bundled; every other
 * package stays an import of the very file the script's own package would load (resolved from
 * the importing file, exports map and all, and written as a `file:` URL), so nothing is loaded
 * twice or from another version. A module that finds files beside itself through
 * `import.meta.url` would look beside the bundle instead: scripts that load such a module keep
 * to tsx (see `ScriptProcesses`' `bundle` option).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/** Third-party packages stay external, as `file:` URLs of what the importer would load. */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@tasker/') || args.path.startsWith('node:') || args.pluginData === 'inner')
        return undefined;
      const found = await b.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: 'inner',
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: found.external ? args.path : pathToFileURL(found.path).href, external: true };
    });
  },
};

/** A compiled script: its file, and `remove()` for its folder. */
export interface ScriptBundle {
  readonly file: string;
  remove(): Promise<void>;
}

/** Compiles `script` (a `.ts` file) and what it imports from the workspace into one `.mjs`. */
export async function bundleScript(script: string): Promise<ScriptBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'tasker-script-'));
  const file = join(dir, `${basename(script).replace(/\.[cm]?ts$/, '')}.mjs`);
  await build({
    entryPoints: [script],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@tasker/source'],
    plugins: [thirdPartyExternal],
    logLevel: 'error',
  });
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
