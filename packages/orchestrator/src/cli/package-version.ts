/**
 * The version `tasker --version` prints, read from this package's own `package.json` when the
 * command runs, so that it is the version of the files installed, never one copied at build time.
 *
 * The file is found from the script node was started with (`process.argv[1]`, symlinks resolved):
 * the committed `bin/tasker.js`, `dist/cli.js`, or `src/cli/main.ts` from a clone. Each lies
 * inside the package, so walking up to the first `package.json` named `@tasker/orchestrator`
 * finds it, installed or not. (`import.meta.url` would be simpler, but the CommonJS build has no
 * `import.meta`; a JSON import would be inlined by the bundler, which is the copy avoided here.)
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = '@tasker/orchestrator';

/** The version in the `package.json` of `@tasker/orchestrator` above `entry`, or undefined. */
export function packageVersion(entry: string | undefined = process.argv[1]): string | undefined {
  if (entry === undefined) return undefined;
  let dir: string;
  try {
    dir = dirname(realpathSync(entry));
  } catch {
    return undefined;
  }
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json here (or not JSON): keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
