/**
 * The `tasker` command line, on commander. Every command that reads or writes tasks goes
 * through the REST API: a remote one (`--api <url>`), or one built in-process over the
 * configured store (`--config <file>`, `--tasks <module>`).
 */
import { Command, Option } from 'commander';
import { graphCommand, handlersCommand, migrateCommand, taskCommand, tasksCommand } from './commands';
import { healthCommand } from './health-command';
import { cancelCommand, resolveCommand, retryCommand } from './manual-commands';
import { retentionRunCommand, retentionShowCommand } from './retention-commands';
import { runCommand } from './run-command';
import {
  schedulesActionCommand,
  schedulesAddCommand,
  schedulesListCommand,
  schedulesShowCommand,
} from './schedule-commands';
import { serveCommand } from './serve-command';
import { submitManyCommand } from './submit-many-command';

const CONFIG_HELP =
  'configuration file (.json, .js, .mjs or .cjs), validated with the engine schema; secrets come from ' +
  'TASKER_DATABASE_URL, TASKER_JWT_SECRET, TASKER_JWT_PUBLIC_KEY, TASKER_JWT_JWKS_URL';
const TASKS_HELP = 'module (.js, .mjs, .cjs) exporting `tasks` (task definitions) and `handlers`';

/** `--api`, `--token` and `--config`: a command that reads the API, remote or in-process. */
function withApi(command: Command): Command {
  return command
    .addOption(
      new Option('--api <url>', 'talk to a running "tasker serve", e.g. http://127.0.0.1:3000/tasker'),
    )
    .addOption(new Option('--token <jwt>', 'bearer token for --api').env('TASKER_API_TOKEN'))
    .option('-c, --config <file>', CONFIG_HELP);
}

function withConnection(command: Command): Command {
  return withApi(command).option('-t, --tasks <module>', TASKS_HELP);
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
  $ tasker submit-many orders.jsonl --api http://127.0.0.1:3000/tasker
  $ tasker graph shop.checkout --format mermaid --tasks ./tasks.mjs
  $ tasker tasks --status error --api http://127.0.0.1:3000/tasker
  $ tasker retry <task-id> charge --reason "card limit raised" --api http://127.0.0.1:3000/tasker
  $ tasker resolve <task-id> charge --result '{"charged":true}' --api http://127.0.0.1:3000/tasker
  $ tasker health --api http://127.0.0.1:3000/tasker
  $ tasker retention run --dry-run --config tasker.config.json
  $ tasker schedules add nightly reports.nightly@1.0.0 --cron "0 30 2 * * *" --timezone Europe/Berlin --api http://127.0.0.1:3000/tasker`,
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
    .option('--run-at <time>', 'start no earlier than this ISO 8601 time, e.g. 2026-12-24T18:00:00Z')
    .option('--priority <n>', 'higher is claimed first, -1000 to 1000 (default the definition’s, else 0)')
    .option('--timeout <seconds>', 'give up waiting after this long', '600')
    .option('--poll-ms <ms>', 'how often to read the progress', '200')
    .option('--json', 'print the final task as JSON')
    .action(async (task: string, options) => setExitCode(await runCommand(task, options)));

  withConnection(
    program
      .command('submit-many')
      .description('submit every task of a file (POST /tasks/batch) and print their ids, one per line')
      .argument(
        '<file>',
        'POST /tasks bodies: JSON Lines (.jsonl, .ndjson), or a JSON array or {"tasks":[...]}',
      ),
  )
    .option('--batch-size <n>', 'tasks per request (each request is one transaction), 1–1000', '1000')
    .option('--json', 'print each task as JSON (task_id, created, where in the file) instead of its id')
    .addHelpText(
      'after',
      `
Each line (or element) is the body of POST /tasks, e.g.
  {"namespace":"shop","name":"checkout","version":"1.0.0","context":{"order_id":"o-1"},"identity_key":"o-1"}
Requests carry at most --batch-size tasks and about 1,000,000 bytes; each is created whole or not
at all. The ids are printed in file order as each request is answered (an identity_key seen
before prints the existing task's id); a summary goes to stderr. When a request is refused, the
error names the line at fault and says which tasks before it were submitted. Needs the
tasker.task:create_many permission when the server checks permissions.`,
    )
    .action(async (file: string, options) => setExitCode(await submitManyCommand(file, options)));

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
    .option('--created-from <time>', 'created at or after this ISO 8601 time, e.g. 2026-12-24T18:00:00Z')
    .option('--created-before <time>', 'created before this ISO 8601 time')
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

  withApi(
    program
      .command('health')
      .description('ask /health/ready and /health/status and print both verdicts; exit 1 when either is 503'),
  )
    .option('--json', 'print both answers as JSON')
    .addHelpText(
      'after',
      `
With --api, /health/status needs a token holding tasker.health_status:index when the server
requires authentication (--token or TASKER_API_TOKEN; not with auth.healthStatusRequiresAuth
false). With --config, the API is built in this process over the configured store, without
authentication (as for every local command): no token is needed, and since this process runs no
workers, the verdict covers the database and the workers of the other processes on that store.`,
    )
    .action(async (options) => setExitCode(await healthCommand(options)));

  const retention = program
    .command('retention')
    .description("show the retention policy and its runs, or sweep once with the configuration's policy");
  withApi(
    retention
      .command('show')
      .description(
        "print the retention policy of the API's process (or of --config) and the newest recorded runs",
      ),
  )
    .option('--limit <n>', 'how many runs, 1–100', '10')
    .option('--json', 'print JSON')
    .action(retentionShowCommand);
  retention
    .command('run')
    .description(
      "sweep once now with the configuration's `retention` policy (retention.keepMs, retention.namespaces, " +
        'archive, batch sizes), opening the store of --config directly, and print what each rule removed',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--dry-run', 'count what the policy would remove, and remove nothing')
    .addHelpText(
      'after',
      `
The run uses the retention group of the --config file (not a server's): finished tasks older
than their keep are removed with their steps and audit (moved to tasker.transitions_archive with
retention.archive), then expired identity windows. It is recorded like a worker's run (tasker
retention show lists it). Exit 0 when it ran (also when another process holding the sweep's lock
made it stop, which it says), 1 when it stopped on an error, 2 without a retention policy.`,
    )
    .action(retentionRunCommand);

  const schedules = program
    .command('schedules')
    .description(
      'list, show, add, pause, resume and remove cron schedules (slots fire in the worker processes)',
    );
  withConnection(schedules.command('list').description('list every schedule with its next and last slot'))
    .option('--json', 'print JSON')
    .action(schedulesListCommand);
  withConnection(
    schedules
      .command('show')
      .description('show a schedule with its firing record')
      .argument('<name>', 'the schedule'),
  )
    .option('--json', 'print JSON')
    .action(schedulesShowCommand);
  withConnection(
    schedules
      .command('add')
      .description('add a schedule that submits a task at each slot of a cron expression')
      .argument('<name>', 'a unique name: letters, digits, "_", ".", ":" or "-"')
      .argument('<task>', 'namespace.name@version (the version defaults to the latest when each slot fires)'),
  )
    .option('--cron <expression>', '5 fields, 6 with seconds first, or a nickname such as @daily')
    .option('--timezone <zone>', 'IANA time zone of the expression (default UTC)')
    .option('--context <json|@file>', "each fired task's context as JSON, or @path to a JSON file")
    .addOption(
      new Option(
        '--catch-up <policy>',
        'slots missed while no worker ran or while paused (default latest)',
      ).choices(['none', 'latest', 'all']),
    )
    .option(
      '--catch-up-limit <n>',
      'with --catch-up all: the most recent missed slots that fire (default 100)',
    )
    .option('--paused', 'add it paused')
    .option('--json', 'print the schedule as JSON')
    .addHelpText(
      'after',
      `
A slot older than schedules.missedAfterMs (60 s) when a worker gets to it is missed: none skips
it, latest fires the most recent missed one, all fires the most recent --catch-up-limit of them.
Each slot fires once across every worker process. In-process (--config), --tasks must define the
task: its context is checked against the task's schema.`,
    )
    .action(schedulesAddCommand);
  for (const [action, description] of [
    ['pause', 'pause a schedule: it fires nothing until resumed'],
    ['resume', 'resume a paused schedule; the slots it missed follow its catch-up policy'],
    ['remove', 'remove a schedule (the tasks it made stay)'],
  ] as const) {
    withConnection(schedules.command(action).description(description).argument('<name>', 'the schedule'))
      .option('--json', 'print the schedule as JSON')
      .action(schedulesActionCommand(action));
  }

  program
    .command('migrate')
    .description('apply pending database migrations to the configured store')
    .option('-c, --config <file>', CONFIG_HELP)
    .action(migrateCommand);

  return program;
}
