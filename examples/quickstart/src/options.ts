/**
 * The quickstart's command line: `--once`, `--verbose`, `--port <n>` (or `PORT`). A bad value is
 * a {@link UsageError}, which `main.ts` prints as one line.
 */

/** What the quickstart was asked to do. */
export interface QuickstartOptions {
  /** Exit after the demo instead of serving. */
  readonly once: boolean;
  /** Print every span (console exporter) and every log line (pino JSON), not only the summary. */
  readonly verbose: boolean;
  /** The port to listen on; 0 picks a free one. */
  readonly port: number;
}

/** A wrong option or a port that cannot be used: one line for the user, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const DEFAULT_PORT = 3000;

/** Reads `argv` (without node and the script) and `env`. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): QuickstartOptions {
  const at = argv.indexOf('--port');
  const [source, raw] =
    at >= 0
      ? ['--port', argv[at + 1]]
      : env.PORT !== undefined && env.PORT !== ''
        ? ['PORT', env.PORT]
        : ['', String(DEFAULT_PORT)];
  const port = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || port > 65_535) {
    throw new UsageError(
      `${source}: expected a port from 0 to 65535 (0 picks a free one), received ${raw ?? 'nothing'}`,
    );
  }
  for (const arg of argv) {
    if (arg.startsWith('--') && !['--once', '--verbose', '--port'].includes(arg)) {
      throw new UsageError(`unknown option ${arg}: expected --once, --verbose or --port <n>`);
    }
  }
  return { once: argv.includes('--once'), verbose: argv.includes('--verbose'), port };
}

/** The one line for a port that is taken (or not ours to use). */
export function portProblem(port: number, error: unknown): UsageError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return new UsageError(
      `port ${port} is already in use: choose another with --port <n> or PORT=<n> (0 picks a free one)`,
    );
  }
  if (code === 'EACCES') {
    return new UsageError(
      `port ${port} needs privileges this process lacks: choose another with --port <n> or PORT=<n> (0 picks a free one)`,
    );
  }
  return undefined;
}
