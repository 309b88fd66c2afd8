/**
 * Another commit's Tasker, for the orchestrator benchmark to run side by side with this one
 * (issue #11, acceptance 2: chain throughput ≥ 95 % of the parent commit's, same run).
 *
 * `loadBaseline(ref)` resolves `ref` to its commit, and makes (or reuses) a detached git
 * worktree of it outside the repository, under the system's temporary directory and named by
 * the full sha, so that every run of the same commit shares one copy. The first use installs
 * its dependencies (`pnpm install --frozen-lockfile`, offline from the local store when that
 * suffices, else online), under `flock /tmp/tasker-pnpm.lock` so that parallel installs on the
 * machine do not collide, and leaves a marker file once done. Worktree creation runs under
 * `flock /tmp/tasker-git.lock` for the same reason.
 *
 * The packages are loaded from the worktree's TypeScript sources (`packages/orchestrator/src`
 * and `packages/router/src`), as the benchmark loads this repository's: the benchmarks run with
 * `--conditions=@tasker/source --import tsx`. Their own imports resolve through the worktree's
 * `node_modules`, so they get the worktree's packages; `loadBaseline` checks that before it
 * returns, and reports where each resolved.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TaskerModules } from './orchestrator-tasker';

const PNPM = ['-y', 'pnpm@10.34.9'];
const INSTALLED_MARKER = '.tasker-bench-installed';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Another commit's packages, ready to run. */
export interface Baseline {
  /** The ref as given, e.g. `c0632fb`. */
  readonly ref: string;
  readonly sha: string;
  /** Where its worktree is. */
  readonly dir: string;
  readonly modules: TaskerModules;
  /** Where the worktree's orchestrator resolved its dependencies (package → directory). */
  readonly resolved: Readonly<Record<string, string>>;
}

function run(command: string, args: readonly string[], cwd: string): { ok: boolean; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** Runs `command` under `flock <lock>` when flock exists (Linux), else as it is. */
function locked(lock: string, command: string, args: readonly string[], cwd: string) {
  const withLock = run('flock', [lock, command, ...args], cwd);
  if (withLock.ok || run('flock', ['--version'], cwd).ok) return withLock;
  return run(command, args, cwd);
}

function must(what: string, r: { ok: boolean; output: string }): string {
  if (!r.ok) throw new Error(`${what} failed:\n${r.output}`);
  return r.output;
}

function worktreeFor(sha: string): string {
  const dir = join(os.tmpdir(), `tasker-bench-baseline-${sha}`);
  if (existsSync(dir)) {
    const head = run('git', ['rev-parse', 'HEAD'], dir);
    if (head.ok && head.output === sha) return dir;
    // Left half-made by an interrupted run: start again.
    rmSync(dir, { recursive: true, force: true });
    run('git', ['worktree', 'prune'], repoRoot);
  }
  console.log(`baseline: git worktree add --detach ${dir} ${sha}`);
  must(
    'git worktree add',
    locked('/tmp/tasker-git.lock', 'git', ['worktree', 'add', '--detach', dir, sha], repoRoot),
  );
  return dir;
}

function install(dir: string): void {
  if (existsSync(join(dir, INSTALLED_MARKER))) return;
  console.log(`baseline: pnpm install in ${dir}`);
  const args = [...PNPM, 'install', '--frozen-lockfile'];
  const offline = locked('/tmp/tasker-pnpm.lock', 'npx', [...args, '--offline'], dir);
  if (!offline.ok) must('pnpm install', locked('/tmp/tasker-pnpm.lock', 'npx', args, dir));
  writeFileSync(join(dir, INSTALLED_MARKER), `${new Date().toISOString()}\n`);
}

/**
 * Where the worktree's orchestrator package resolves `specifiers` (under this process's
 * `--conditions`, as its imports will be); throws if any resolves outside the worktree (it
 * would then run with this repository's code or dependencies).
 */
function checkResolution(dir: string, specifiers: readonly string[]): Record<string, string> {
  const root = realpathSync(dir);
  const from = createRequire(join(root, 'packages', 'orchestrator', 'src', 'index.ts'));
  const resolved: Record<string, string> = {};
  for (const s of specifiers) {
    const file = realpathSync(from.resolve(s));
    if (!file.startsWith(root + sep))
      throw new Error(`the baseline's orchestrator resolves ${s} outside its worktree ${root}: ${file}`);
    resolved[s] = file;
  }
  return resolved;
}

const REQUIRED = ['createTasker', 'defineTask', 'TaskStore', 'createPostgresDriver', 'createEventRouter'];

/** Makes or reuses the worktree of `ref`, installs it once, and loads its packages. */
export async function loadBaseline(ref: string): Promise<Baseline> {
  const sha = must('git rev-parse', run('git', ['rev-parse', '--verify', `${ref}^{commit}`], repoRoot));
  const dir = worktreeFor(sha);
  install(dir);
  const resolved = checkResolution(dir, ['@tasker/router', 'pg', 'zod']);
  const source = (pkg: string) => pathToFileURL(join(dir, 'packages', pkg, 'src', 'index.ts')).href;
  // The other commit's public API is taken to be this one's where the benchmark uses it
  // (createTasker, defineTask, TaskStore, createPostgresDriver, createEventRouter); the first
  // run would fail loudly if it were not.
  const orchestrator = (await import(source('orchestrator'))) as TaskerModules['orchestrator'];
  const router = (await import(source('router'))) as TaskerModules['router'];
  const exported: Record<string, unknown> = { ...orchestrator, ...router };
  const missing = REQUIRED.filter((name) => typeof exported[name] !== 'function');
  if (missing.length > 0)
    throw new Error(`the baseline ${ref} (${sha}) does not export ${missing.join(', ')}`);
  return { ref, sha, dir, modules: { orchestrator, router }, resolved };
}
