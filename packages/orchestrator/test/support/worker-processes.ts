/**
 * Engine processes for the multi-process tests (`test/multi-process/worker-process.ts`, run
 * from TypeScript through tsx). Each is tracked by its pid and stopped by pid: SIGTERM for a
 * graceful stop, SIGKILL for whatever is left when a test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../multi-process/worker-process.ts', import.meta.url));

/** A running engine process and what it printed. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line it printed so far (`ready`, `error\t…`, `transient\t…`, `connection\t…`). */
  readonly lines: string[];
  /** Resolves with the exit code and signal once it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts engine processes and stops every one of them, by pid. */
export class WorkerProcesses {
  readonly #all: WorkerProcess[] = [];

  /** Starts one engine process; resolves once it printed `ready`. */
  start(env: Readonly<Record<string, string>>): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.pid === undefined) throw new Error('the worker process did not start');
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
        const text = partial + d.toString();
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (line === 'ready') resolve(worker);
        }
      });
    });
  }

  /** Sends `signal` to one process by pid and waits for it to exit. */
  async stop(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM') {
    if (worker.child.exitCode === null && worker.child.signalCode === null) process.kill(worker.pid, signal);
    return worker.exited;
  }

  /** Kills (SIGKILL, by pid) every process still running. */
  async killAll(): Promise<void> {
    for (const w of this.#all) await this.stop(w, 'SIGKILL');
  }
}

/**
 * The tables of the worker processes: `side_effects`, one row per handler call; `gate`, which
 * gated handlers wait on while it is closed (it starts open); `gate_waits`, one row per handler
 * that found it closed, `passed` once it went through.
 */
export const SIDE_EFFECTS_DDL = `
create table side_effects (
  seq bigserial primary key,
  step_id uuid not null,
  step_name text not null,
  attempt int not null,
  pid int not null
);
create table gate (open boolean not null);
insert into gate values (true);
create table gate_waits (step_id uuid not null, passed boolean not null default false);`;
