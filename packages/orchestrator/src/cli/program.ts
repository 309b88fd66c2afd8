/**
 * The `tasker` command line, on commander. Every command that reads or writes tasks goes
 * through the REST API: a remote one (`--api <url>`), or one built in-process over the
 * configured store (`--config <file>`, `--tasks <module>`).
 */
import { Command, Option } from 'commander';
import { graphCommand, handlersCommand, migrateCommand, taskCommand, tasksCommand } from './commands';
import { cancelCommand, resolveCommand, retryCommand } from './manual-commands';
import { runCommand } from './run-command';
import { serveCommand } from './serve-command';

const CONFIG_HELP =
  'configuration file (.json, .js, .mjs or .cjs), validated with the engine schema; secrets come from ' +
  'TASKER_DATABASE_URL, TASKER_JWT_SECRET, TASKER_JWT_PUBLIC_KEY, TASKER_JWT_JWKS_URL';
const TASKS_HELP = 'module (.js, .mjs, .cjs) exporting `tasks` (task definitions) and `handlers`';

function withConnection(command: Command): Command {
  return command
    .addOption(
      new Option('--api <url>', 'talk to a running "tasker serve", e.g. http://127.0.0.1:3000/tasker'),
    )
    .addOption(new Option('--token <jwt>', 'bearer token for --api').env('TASKER_API_TOKEN'))
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-t, --tasks <module>', TASKS_HELP);
}

/** Options of {@link createProgram}. */
export interface ProgramOptions {
  /** What `--version` prints: the installed package's version (see `./package-version.ts`). */
  readonly version?: string;
}

/** Builds the program; `setExitCode` receives a command's exit code (run's task outcome). */
export function createProgram(setExitCode: (code: number) => void, options: ProgramOptions = {}): Command {
  // Set before the subcommands are added, which inherit it: usage errors throw instead of exiting.
  const program = new Command('tasker')
    .exitOverride()
    .version(options.version ?? 'unknown', '-V, --version', 'print the version of @tasker/orchestrator')
    .description('Tasker: durable DAG workflows. Serve the REST API and workers, run tasks, inspect them.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
A PGlite data directory can be opened by only one process: while "tasker serve" runs on one,
point the other commands at it with --api <url>.

Examples:
  $ tasker serve --config tasker.config.json --tasks ./tasks.mjs
  $ tasker run shop.checkout@1.0.0 --context '{"order_id":"o-1"}' --api http://127.0.0.1:3000/tasker
  $ tasker graph shop.checkout --format mermaid --tasks ./tasks.mjs
  $ tasker tasks --status error --api http://127.0.0.1:3000/tasker
  $ tasker retry <task-id> charge --reason "card limit raised" --api http://127.0.0.1:3000/tasker
  $ tasker resolve <task-id> charge --result '{"charged":true}' --api http://127.0.0.1:3000/tasker`,
    );

  program
    .command('serve')
    .description('serve the REST API and run workers, from a configuration file')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-t, --tasks <module>', TASKS_HELP)
    .option('-p, --port <port>', 'port to listen on (default: api.port, 3000; 0 picks a free one)')
    .option('--host <host>', 'interface to listen on (default: api.host, 127.0.0.1)')
    .option('--no-workers', 'serve the API only; run no steps in this process')
    .action(serveCommand);

  withConnection(
    program
      .command('run')
      .description('submit a task, show its steps live, exit non-zero unless it completes')
      .argument('<task>', 'namespace.name@version (the version defaults to the latest)'),
  )
    .option('--context <json|@file>', 'the task context as JSON, or @path to a JSON file', '{}')
    .option('--identity-key <key>', 'submitting the same key again returns the existing task')
    .option('--tag <tag...>', 'tags of the task')
    .option('--reason <text>', 'why the task runs')
    .option('--timeout <seconds>', 'give up waiting after this long', '600')
    .option('--poll-ms <ms>', 'how often to read the progress', '200')
    .option('--json', 'print the final task as JSON')
    .action(async (task: string, options) => setExitCode(await runCommand(task, options)));

  withConnection(program.command('handlers').description('list the registered task handlers'))
    .option('--json', 'print JSON')
    .action(handlersCommand);

  withConnection(
    program
      .command('graph')
      .description("print a task handler's step DAG")
      .argument('<handler>', 'namespace.name or namespace.name@version'),
  )
    .addOption(
      new Option('-f, --format <format>', 'text, mermaid or dot')
        .choices(['text', 'mermaid', 'dot'])
        .default('text'),
    )
    .action(graphCommand);

  withConnection(program.command('tasks').description('list tasks, newest first'))
    .option('--status <states>', 'comma-separated states, e.g. error,in_progress')
    .option('--namespace <namespace>')
    .option('--name <name>')
    .option('--limit <n>', 'page size, 1–100', '25')
    .option('--offset <n>', 'skip this many')
    .option('--cursor <cursor>', 'start after the previous page (the cursor it printed)')
    .option('--context', "add each task's context and annotations (with --json)")
    .option('--json', 'print JSON')
    .action(tasksCommand);

  withConnection(
    program.command('task').description('show a task with its steps').argument('<id>', 'the task id'),
  )
    .option('--dependencies', 'add the runtime dependency analysis')
    .option('--json', 'print JSON')
    .action(taskCommand);

  withConnection(
    program
      .command('cancel')
      .description('cancel a task and its unfinished steps')
      .argument('<task-id>', 'the task id'),
  )
    .option('--json', 'print the cancelled task as JSON')
    .action(cancelCommand);

  withConnection(
    program
      .command('retry')
      .description('retry a step in error: it runs again and its task resumes')
      .argument('<task-id>', 'the task id')
      .argument('<step>', "the step's id, or its name in the task"),
  )
    .option('--reason <text>', 'why, recorded with the transition')
    .option('--json', 'print the step as JSON')
    .action(retryCommand);

  withConnection(
    program
      .command('resolve')
      .description('resolve an unfinished step by hand; its children run with the result given')
      .argument('<task-id>', 'the task id')
      .argument('<step>', "the step's id, or its name in the task"),
  )
    .option('--result <json|@file>', "the step's result as JSON, or @path to a JSON file")
    .option('--reason <text>', 'why, recorded with the transition')
    .option('--json', 'print the step as JSON')
    .action(resolveCommand);

  program
    .command('migrate')
    .description('apply pending database migrations to the configured store')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(migrateCommand);

  return program;
}
