#!/usr/bin/env node
/** The `tasker` executable: runs the program and turns failures into one line and an exit code. */
import { CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error';
import { packageVersion } from './package-version';
import { createProgram } from './program';

const program = createProgram(
  (code) => {
    process.exitCode = code;
  },
  { version: packageVersion() },
);
program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help) already.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof CliError) {
    process.stderr.write(`tasker: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`tasker: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
});
