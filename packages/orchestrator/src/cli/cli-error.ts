/** An error the CLI reports as one line on stderr, with its exit code (no stack trace). */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit codes: 0 success, 1 a failed task or request, 2 bad usage or configuration. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });
