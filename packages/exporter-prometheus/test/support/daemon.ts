import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../../../test-support/src/free-port';

export { freePort };

/** A daemon started by a test and stopped by its process id. */
export interface Daemon {
  readonly port: number;
  /** `http://127.0.0.1:<port>/<prefix>`: every path of this daemon is under its own prefix. */
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `binary` with `args(port, prefix)` on a free port and waits until `readyPath` answers
 * 200 under `prefix`.
 *
 * The prefix (a random `--web.route-prefix`) proves the answer came from this daemon: a port
 * found free can be taken by another process before the daemon binds it (test files run in
 * parallel, and so may other test runs), and then a probe of the bare port would reach the
 * other daemon. A start that fails because the port was taken is retried on another port.
 */
export async function startDaemon(
  binary: string,
  args: (port: number, prefix: string) => string[],
  readyPath: string,
  timeoutMs = 30_000,
): Promise<Daemon> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const prefix = `/t${randomBytes(6).toString('hex')}`;
    const child = spawn(binary, args(port, prefix), { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const daemon: Daemon = {
      port,
      url: `http://127.0.0.1:${port}${prefix}`,
      process: child,
      output: () => log,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          process.kill(child.pid, 'SIGTERM');
          const timer = setTimeout(
            () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
            5000,
          );
          await exited;
          clearTimeout(timer);
        }
      },
    };
    const deadline = Date.now() + timeoutMs;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const response = await fetch(`${daemon.url}${readyPath}`);
        await response.body?.cancel();
        if (response.ok) {
          ready = true;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (ready) return daemon;
    await daemon.stop();
    if (/address already in use/i.test(log)) continue;
    throw new Error(`${binary} did not become ready on port ${port}:\n${log.slice(-2000)}`);
  }
  throw new Error(`${binary}: no free port after 5 attempts`);
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}
