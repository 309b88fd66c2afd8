/**
 * Processes of one TypeScript script, for multi-process tests and benchmarks: each runs as the
 * workspace runs TypeScript (`node --conditions=@tasker/source --import tsx <script>`), prints
 * `ready` once it can be used, and is tracked and stopped by its pid, never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running process and what it printed. */
export interface ScriptProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line it printed to stdout so far. */
  readonly lines: string[];
  /** Resolves with the exit code and signal once it has exited. */
  readonly exited: Promise<Exit>;
}

/** Sends `signal` to `pid`; one that already exited (ESRCH) is left alone. */
function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Starts processes of one script and stops every one of them, by pid. */
export class ScriptProcesses {
  readonly #script: string;
  readonly #cwd: string | undefined;
  readonly #all: ScriptProcess[] = [];

  constructor(script: string, options: { cwd?: string } = {}) {
    this.#script = script;
    this.#cwd = options.cwd;
  }

  /** Starts one process with `env` added; resolves once it printed `ready`. */
  start(env: Readonly<Record<string, string>>): Promise<ScriptProcess> {
    const child = spawn(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', this.#script], {
      ...(this.#cwd === undefined ? {} : { cwd: this.#cwd }),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.pid === undefined) throw new Error(`${this.#script} did not start`);
    const lines: string[] = [];
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const started: ScriptProcess = { child, pid: child.pid, lines, exited };
    this.#all.push(started);
    let partial = '';
    return new Promise((resolve, reject) => {
      void exited.then(({ code, signal }) =>
        reject(new Error(`process ${started.pid} exited before it was ready (${code ?? signal})`)),
      );
      child.stdout?.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (line === 'ready') resolve(started);
        }
      });
    });
  }

  /**
   * Sends `signal` to one process by pid and waits for it to exit; after `graceMs` without an
   * exit, kills it (SIGKILL), which its exit then shows.
   */
  async stop(p: ScriptProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 60_000): Promise<Exit> {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
    signalPid(p.pid, signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const first = await Promise.race([p.exited, late]);
    clearTimeout(timer);
    if (first !== 'late') return first;
    signalPid(p.pid, 'SIGKILL');
    return p.exited;
  }

  /** Kills (SIGKILL, by pid) every process still running. */
  async killAll(): Promise<void> {
    for (const p of this.#all) await this.stop(p, 'SIGKILL');
  }
}
