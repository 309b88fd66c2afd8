/**
 * Processes of one TypeScript script, for multi-process tests and benchmarks: each runs as the
 * workspace runs TypeScript (`node --conditions=@tasker/source --import tsx <script>`), prints
 * `ready` once it can be used, and is tracked and stopped by its pid, never by name.
 *
 * Loading a script through tsx takes a second or more (several on a loaded machine). With
 * `bundle: true` the script is compiled once (see `script-bundle.ts`) and every process loads
 * the compiled file with plain node, in a third of the CPU time. A test that replaces processes
 * in a hurry can also start the next ones early: a script that prints another line first
 * (`loaded`, say) and then waits for a signal is started with `start(env, 'loaded')`, signalled
 * when its turn comes, and awaited with `p.waitFor('ready')`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { bundleScript, type ScriptBundle } from './script-bundle';

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
  /** Resolves once it printed `line` (at once if it already did); rejects if it exits first. */
  waitFor(line: string): Promise<void>;
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
  readonly #bundled: boolean;
  /** The compiled script, made at the first start (with `bundle`). */
  #bundle: Promise<ScriptBundle> | undefined;

  /**
   * `bundle`: run the script compiled into one module (see `script-bundle.ts`) instead of through
   * tsx; only for a script none of whose modules finds files through `import.meta.url`.
   */
  constructor(script: string, options: { cwd?: string; bundle?: boolean } = {}) {
    this.#script = script;
    this.#cwd = options.cwd;
    this.#bundled = options.bundle === true;
  }

  /** How node is started: the compiled script, or the script through tsx. */
  async #argv(): Promise<string[]> {
    if (!this.#bundled) return ['--conditions=@tasker/source', '--import', 'tsx', this.#script];
    this.#bundle ??= bundleScript(this.#script);
    return [(await this.#bundle).file];
  }

  /** Starts one process with `env` added; resolves once it printed `first` (`ready` by default). */
  async start(env: Readonly<Record<string, string>>, first = 'ready'): Promise<ScriptProcess> {
    const child = spawn(process.execPath, await this.#argv(), {
      ...(this.#cwd === undefined ? {} : { cwd: this.#cwd }),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${this.#script} did not start`);
    const lines: string[] = [];
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const waiting = new Map<string, (() => void)[]>();
    let partial = '';
    child.stdout?.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const resolve of waiting.get(line) ?? []) resolve();
        waiting.delete(line);
      }
    });
    const waitFor = (line: string): Promise<void> =>
      lines.includes(line)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            waiting.set(line, [...(waiting.get(line) ?? []), resolve]);
            void exited.then(({ code, signal }) =>
              reject(new Error(`process ${pid} exited before it printed "${line}" (${code ?? signal})`)),
            );
          });
    const started: ScriptProcess = { child, pid, lines, exited, waitFor };
    this.#all.push(started);
    await waitFor(first);
    return started;
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

  /** Kills (SIGKILL, by pid) every process still running, and removes the compiled script. */
  async killAll(): Promise<void> {
    for (const p of this.#all) await this.stop(p, 'SIGKILL');
    const bundle = this.#bundle;
    this.#bundle = undefined;
    await (await bundle?.catch(() => undefined))?.remove();
  }
}
