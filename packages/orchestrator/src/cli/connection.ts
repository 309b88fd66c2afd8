/**
 * How a command reaches Tasker: `--api <url>` talks to a running `tasker serve` over HTTP;
 * otherwise the command opens the configured store itself (`--config`, `--tasks`), which for
 * a PGlite data directory fails clearly while another process holds it.
 */
import { ApiClient } from './api-client';
import { CliError, EXIT } from './cli-error';
import { type LocalRuntime, openLocal } from './local-runtime';

/** Options every client command accepts. */
export interface ConnectionOptions {
  readonly api?: string;
  readonly token?: string;
  readonly config?: string;
  readonly tasks?: string;
}

export interface Connection {
  readonly client: ApiClient;
  /** Set when the command runs on a store of its own. */
  readonly local: LocalRuntime | undefined;
  close(): Promise<void>;
}

export async function connect(
  command: string,
  options: ConnectionOptions,
  local: { openStore?: boolean } = {},
): Promise<Connection> {
  if (options.api !== undefined) {
    if (options.config !== undefined || options.tasks !== undefined) {
      throw new CliError(
        '--api talks to a running server: it cannot be combined with --config or --tasks',
        EXIT.usage,
      );
    }
    let url: URL;
    try {
      url = new URL(options.api);
    } catch {
      throw new CliError(
        `--api: expected a URL such as http://127.0.0.1:3000/tasker, received "${options.api}"`,
        EXIT.usage,
      );
    }
    const token = options.token ?? process.env.TASKER_API_TOKEN;
    const client = new ApiClient((request) => fetch(request), url.toString(), token || undefined);
    return { client, local: undefined, close: async () => {} };
  }
  const runtime = await openLocal(command, { config: options.config, tasks: options.tasks, ...local });
  return { client: runtime.client, local: runtime, close: () => runtime.close() };
}
