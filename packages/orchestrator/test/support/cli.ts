/**
 * The built `tasker` executable (`dist/cli.js`: the root "test" script builds first, since
 * Node 20 cannot run the TypeScript sources), run to its end as a user would.
 */
import { fileURLToPath } from 'node:url';
import { runToExit } from '../../../../test-support/src/run-to-exit';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** The task definitions and handlers the CLI tests load with `--tasks`. */
export const CLI_TASKS = fileURLToPath(new URL('../fixtures/cli-tasks.mjs', import.meta.url));

/** How a `tasker` command ended and what it printed. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tasker args` with exactly `env`; a command still running after 90 s fails the test. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const run = await runToExit(process.execPath, [CLI, ...args], { env });
  if (run.timedOut) throw new Error(`tasker ${args.join(' ')} did not finish: ${run.stdout}\n${run.stderr}`);
  return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}
