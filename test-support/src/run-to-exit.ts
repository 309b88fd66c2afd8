/**
 * Runs a command to its end and collects what it printed: the way tests run a CLI or an example
 * program as a user would. A process that outlives `timeoutMs` is killed by its pid (SIGKILL)
 * and reported as `timedOut`, so that a hang fails the test instead of the run.
 */
import { spawn } from 'node:child_process';

/** Options of {@link runToExit}. */
export interface RunOptions {
  readonly cwd?: string;
  /** The child's whole environment (nothing is inherited that is not in it). */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long; 90 s by default. */
  readonly timeoutMs?: number;
}

/** How a process ended and what it printed. */
export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when it was still running after `timeoutMs` and was killed. */
  readonly timedOut: boolean;
}

/** Runs `command args` with stdin closed; resolves once it has exited. */
export function runToExit(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 90_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}
