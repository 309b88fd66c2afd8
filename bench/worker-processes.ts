/**
 * Worker processes for a benchmark: a TypeScript script run as the benchmarks are
 * (`node --conditions=@tasker/source --import tsx <script>`, from the repository root). Each
 * is tracked by its pid and stopped by its pid, never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running worker process and what it printed. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line it printed so far. */
  readonly lines: string[];
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

/** Starts worker processes of one script and stops them, by pid. */
export class WorkerProcesses {
  readonly #script: string;
  readonly #all: WorkerProcess[] = [];

  constructor(script: string) {
    this.#script = script;
  }

  /** Starts one process with `env` added; resolves once it printed `ready`. */
  start(env: Readonly<Record<string, string>>): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', this.#script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.pid === undefined) throw new Error(`${this.#script} did not start`);
    const lines: string[] = [];
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const worker: WorkerProcess = { child, pid: child.pid, lines, exited };
    this.#all.push(worker);
    let partial = '';
    return new Promise((resolve, reject) => {
      void exited.then(({ code, signal }) =>
        reject(new Error(`worker ${worker.pid} exited before it was ready (${code ?? signal})`)),
      );
      child.stdout?.on('data', (d: Buffer) => {
        const parts = (partial + d.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (line === 'ready') resolve(worker);
        }
      });
    });
  }

  /**
   * Sends `signal` to one process by pid and waits for it to exit; after `graceMs` without an
   * exit, kills it (SIGKILL) and reports that it had to.
   */
  async stop(
    worker: WorkerProcess,
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs = 30_000,
  ): Promise<Exit & { forced: boolean }> {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null)
      return { ...(await worker.exited), forced: false };
    signalPid(worker.pid, signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const first = await Promise.race([worker.exited, late]);
    clearTimeout(timer);
    if (first !== 'late') return { ...first, forced: false };
    signalPid(worker.pid, 'SIGKILL');
    return { ...(await worker.exited), forced: true };
  }

  /** Kills (SIGKILL, by pid) every process still running. */
  async killAll(): Promise<void> {
    for (const w of this.#all) await this.stop(w, 'SIGKILL');
  }
}
