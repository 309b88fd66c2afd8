/**
 * `tasker serve`: the API and the workers of one configuration, in one process, until SIGINT or
 * SIGTERM (then the server stops accepting, running steps finish or are aborted after
 * `engine.shutdownTimeoutMs`, and the PGlite lock is released).
 */
import { createTaskerApi } from '../api/index';
import { CliError, EXIT } from './cli-error';
import { authDescription, authFromConfig, openLocal } from './local-runtime';
import { runtimeConfig } from './runtime-config';

/** Options of `tasker serve`. */
export interface ServeOptions {
  readonly config?: string;
  readonly tasks?: string;
  readonly port?: string;
  readonly host?: string;
  readonly workers?: boolean;
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  // Configuration problems (auth keys included) fail before the store is opened.
  const loaded = await runtimeConfig(options.config);
  const auth = authFromConfig(loaded);
  const local = await openLocal('serve', { tasks: options.tasks, loaded });
  let stopping = false;
  try {
    const { config, tasker } = local;
    const api = createTaskerApi({
      tasker,
      prefix: config.api.prefix,
      maxBodyBytes: config.api.maxBodyBytes,
      maxJsonDepth: config.api.maxJsonDepth,
      maxPageBytes: config.api.maxPageBytes,
      events: config.api.events,
      auth,
    });
    if (options.workers !== false) await tasker.start();
    const port = options.port === undefined ? config.api.port : Number(options.port);
    const hostname = options.host ?? config.api.host;
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections } = config.api;
    const limits = { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections };
    const server = await api.listen({ port, hostname, ...limits }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      throw new CliError(
        `port ${port} on ${hostname} is already in use: choose another with --port <n> (or api.port in the configuration; 0 picks a free one)`,
        EXIT.failed,
      );
    });
    const base = `${server.url}${api.prefix}`;
    await local.lock?.announce(base);
    process.stdout.write(
      `Tasker API listening on ${base} (docs: ${base}/docs)\n` +
        `store: ${config.store.kind}${config.store.dataDir === undefined ? '' : ` ${config.store.dataDir}`}; ` +
        `workers: ${options.workers === false ? 'off' : `on (concurrency ${config.execution.concurrency})`}; ` +
        `auth: ${authDescription(config)}; handlers: ${tasker.registry.list().length}\n`,
    );
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal}: stopping\n`);
      try {
        await server.close();
        await local.close();
        process.exit(0);
      } catch (error) {
        process.stderr.write(`tasker: stopping failed: ${(error as Error).message}\n`);
        process.exit(1);
      }
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  } catch (error) {
    await local.close();
    throw error;
  }
}
