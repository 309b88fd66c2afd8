/**
 * The built `tasker` executable (`dist/cli.js`: the root "test" script builds first, since
 * Node 20 cannot run the TypeScript sources), run to its end as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runToExit } from '../../../../test-support/src/run-to-exit';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** The task definitions and handlers the CLI tests load with `--tasks`. */
export const CLI_TASKS = fileURLToPath(new URL('../fixtures/cli-tasks.mjs', import.meta.url));

/** How a `tasker` command ended and what it printed. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tasker args` with exactly `env`; a command still running after 90 s fails the test. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const run = await runToExit(process.execPath, [CLI, ...args], { env });
  if (run.timedOut) throw new Error(`tasker ${args.join(' ')} did not finish: ${run.stdout}\n${run.stderr}`);
  return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}

/** A spawned `tasker serve`, listening. */
export interface ServeProcess {
  readonly process: ChildProcess;
  /** Its base URL, as it printed it: `http://127.0.0.1:<port>/tasker`. */
  readonly url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM, then its exit code (SIGKILL and null when it has not exited after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns `tasker serve args` with `env` and waits for the URL it listens on (60 s at most). */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/tasker)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${out}`));
    });
  });
  return {
    process: child,
    url,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
