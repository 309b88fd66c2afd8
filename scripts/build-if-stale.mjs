#!/usr/bin/env node
/**
 * Builds the workspace packages (`packages/*`) whose build is stale, and only those, in
 * dependency order. `pnpm start` and `pnpm tasker` run it, so that a second start on a built
 * clone does not spend a minute and a half rebuilding what has not changed.
 *
 * A package is stale when
 * - a file its `package.json` points into `dist/` (main, module, types, exports, bin) is missing
 *   (never built, or a build that was interrupted before its `.d.ts` step), or
 * - its oldest `dist/` file is older than its newest input: `src/**` (but the tests beside the
 *   code, `*.test.ts`, which no build reads), `ui/**` and `scripts/**` (a browser app and its
 *   build, the dashboard's), `package.json`,
 *   `tsup.config.ts`, `tsconfig.json`, and the shared `tsup.base.ts` and `tsconfig.base.json`,
 *   or than the newest `dist/` file of a workspace package it depends on, or
 * - a workspace package it depends on is stale (it is rebuilt first, so this one would be).
 *
 * Modification times are all it reads: an edit that restores a file's bytes still rebuilds,
 * which costs a build and is never wrong. The stale packages are built by pnpm itself
 * (`pnpm -r --filter … run build`), which orders them by their dependencies.
 *
 * Usage: `node scripts/build-if-stale.mjs [--quiet] [package …]`: with names (`@tasker/orchestrator`),
 * only those packages and the workspace packages they depend on; `--quiet`: no line when nothing
 * is stale. Everything it prints, the build's output too, goes to stderr, so that the standard
 * output of the command run after it (`pnpm tasker … --json`) stays that command's alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const wanted = args.filter((a) => !a.startsWith('--'));
const say = (text) => process.stderr.write(`build-if-stale: ${text}\n`);
const SHARED_INPUTS = ['tsup.base.ts', 'tsconfig.base.json'].map((f) => join(root, f));
const PACKAGE_INPUTS = ['package.json', 'tsup.config.ts', 'tsconfig.json'];

/** Every file under `dir` (none when it does not exist). */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

const mtime = (file) => statSync(file).mtimeMs;

/** The `./dist/…` paths a package.json names, wherever it names them. */
function distTargets(manifest) {
  const found = new Set();
  const walk = (value) => {
    if (typeof value === 'string') {
      if (value.startsWith('./dist/')) found.add(value);
    } else if (value !== null && typeof value === 'object') {
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk([manifest.main, manifest.module, manifest.types, manifest.exports, manifest.bin]);
  return [...found];
}

function readPackages() {
  const dir = join(root, 'packages');
  const packages = new Map();
  for (const name of readdirSync(dir).sort()) {
    const pkgDir = join(dir, name);
    const manifestPath = join(pkgDir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.scripts?.build === undefined) continue;
    const specs = { ...manifest.peerDependencies, ...manifest.devDependencies, ...manifest.dependencies };
    const deps = Object.entries(specs)
      .filter(([, spec]) => typeof spec === 'string' && spec.startsWith('workspace:'))
      .map(([dep]) => dep);
    packages.set(manifest.name, { name: manifest.name, dir: pkgDir, manifest, deps });
  }
  // Only dependencies inside packages/* order the builds.
  for (const pkg of packages.values()) pkg.deps = pkg.deps.filter((d) => packages.has(d));
  return packages;
}

/** Why `pkg` needs a build, or undefined when its dist is up to date. */
function staleReason(pkg, packages) {
  const missing = distTargets(pkg.manifest).filter((target) => !existsSync(join(pkg.dir, target)));
  if (missing.length > 0) return `${missing[0]} is missing`;
  const built = filesUnder(join(pkg.dir, 'dist'));
  if (built.length === 0) return 'dist/ is empty';
  const builtAt = Math.min(...built.map(mtime));
  const inputs = [
    ...filesUnder(join(pkg.dir, 'src')).filter((f) => !f.endsWith('.test.ts')),
    // A browser app's sources and its build script (the dashboard's ui/ and scripts/).
    ...filesUnder(join(pkg.dir, 'ui')),
    ...filesUnder(join(pkg.dir, 'scripts')),
    ...PACKAGE_INPUTS.map((f) => join(pkg.dir, f)).filter(existsSync),
    ...SHARED_INPUTS.filter(existsSync),
    ...pkg.deps.flatMap((dep) => filesUnder(join(packages.get(dep).dir, 'dist'))),
  ];
  const newer = inputs.find((file) => mtime(file) > builtAt);
  return newer === undefined ? undefined : `${relative(root, newer)} changed since the last build`;
}

/** How to call pnpm: the one running this script when there is one, else the pinned one. */
function pnpmCommand() {
  const execpath = process.env.npm_execpath ?? '';
  if (/pnpm\.c?js$/.test(execpath)) return [process.execPath, execpath];
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('+')[0];
  return ['npx', '-y', version];
}

/** The packages named (all when none is) and, transitively, the workspace packages they use. */
function selected(packages) {
  if (wanted.length === 0) return packages;
  const keep = new Map();
  const add = (name) => {
    const pkg = packages.get(name);
    if (pkg === undefined) {
      say(`no workspace package is named ${name} (known: ${[...packages.keys()].join(', ')})`);
      process.exit(2);
    }
    if (keep.has(name)) return;
    keep.set(name, pkg);
    for (const dep of pkg.deps) add(dep);
  };
  for (const name of wanted) add(name);
  return keep;
}

const started = Date.now();
const all = readPackages();
const packages = selected(all);
const stale = new Map();
for (const pkg of packages.values()) {
  const reason = staleReason(pkg, all);
  if (reason !== undefined) stale.set(pkg.name, reason);
}
// A package that depends on one about to be rebuilt is rebuilt after it.
for (let grew = true; grew; ) {
  grew = false;
  for (const pkg of packages.values()) {
    const dep = pkg.deps.find((d) => stale.has(d));
    if (!stale.has(pkg.name) && dep !== undefined) {
      stale.set(pkg.name, `it depends on ${dep}, which is rebuilt`);
      grew = true;
    }
  }
}

const seconds = () => ((Date.now() - started) / 1_000).toFixed(1);
if (stale.size === 0) {
  if (!quiet) say(`${packages.size} of ${packages.size} packages up to date (${seconds()} s)`);
} else {
  for (const [name, reason] of stale) say(`building ${name}: ${reason}`);
  const [command, ...prefix] = pnpmCommand();
  const filters = [...stale.keys()].flatMap((name) => ['--filter', name]);
  const result = spawnSync(command, [...prefix, '-r', ...filters, 'run', 'build'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    say(`the build failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
  say(`built ${stale.size} of ${packages.size} packages (${seconds()} s)`);
}
