/**
 * Installing our packages as a user would: each package packed with `pnpm pack` (which applies
 * publishConfig and turns `workspace:^` into caret ranges), then the tarballs and any
 * third-party packages installed with `npm install` into a scratch project, from the npm
 * registry for everything else. The packed-install tests share it. They run on the built
 * packages (the root test script builds them first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `packages/` of the workspace. */
export const PACKAGES_DIR = fileURLToPath(new URL('../../..', import.meta.url));

/** The pnpm the workspace pins (root package.json `packageManager`). */
export const PNPM_VERSION = '10.34.9';

// A user's shell, not this test runner's: no NODE_PATH, NODE_OPTIONS or the npm_config_* that
// pnpm sets for scripts, which would let Node find the workspace's packages.
const KEEP = [
  'PATH',
  'HOME',
  'TMPDIR',
  'NODE_EXTRA_CA_CERTS',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'npm_config_registry',
];

/** The environment of a user's shell, for every command run in the scratch project. */
export const userEnv: Record<string, string> = Object.fromEntries(
  KEEP.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])),
);

/**
 * Packs `packages/<dir>` for each of `dirs` into `destination` and returns the tarballs' paths,
 * in the order of `dirs`. Throws, naming the package, when one is not built.
 */
export function packPackages(dirs: readonly string[], destination: string): string[] {
  mkdirSync(destination, { recursive: true });
  return dirs.map((dir) => {
    if (!existsSync(join(PACKAGES_DIR, dir, 'dist', 'index.js')))
      throw new Error(`packages/${dir} is not built: run \`npx -y pnpm@${PNPM_VERSION} build\` first`);
    const before = new Set(readdirSync(destination));
    execFileSync('npx', ['-y', `pnpm@${PNPM_VERSION}`, 'pack', '--pack-destination', destination], {
      cwd: join(PACKAGES_DIR, dir),
      env: { ...process.env, npm_config_loglevel: 'error' },
      stdio: 'pipe',
    });
    const made = readdirSync(destination).filter((f) => f.endsWith('.tgz') && !before.has(f));
    if (made.length !== 1) throw new Error(`packing packages/${dir} made ${made.length} tarballs`);
    return join(destination, made[0] as string);
  });
}

/**
 * Makes `app` a project with this `package.json` and runs `npm install` there for `specs`
 * (tarball paths or `name@version`), as a user would, with no lockfile written.
 */
export function npmInstallInto(
  app: string,
  manifest: Record<string, unknown>,
  specs: readonly string[],
): void {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  execFileSync('npm', ['i', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...specs], {
    cwd: app,
    env: userEnv,
    stdio: 'pipe',
    timeout: 300_000,
  });
}
