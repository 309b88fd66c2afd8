/**
 * `tasker retention show` reads `GET /retention` (the policy of the process serving the API and
 * the newest recorded runs), remote (`--api`) or in-process (`--config`), like the read commands.
 * `tasker retention run [--dry-run]` opens the store of `--config` itself, as `migrate` does: it
 * sweeps once with that configuration's `retention` policy (`Tasker.runRetention`), which records
 * the run like a worker's, and prints what each rule removed (or, dry, would remove).
 */
import { retentionRules } from '../engine/retention';
import { CliError, EXIT } from './cli-error';
import { withConnection } from './commands';
import type { ConnectionOptions } from './connection';
import { duration, ruleLabel, table } from './format';
import { openLocal, storeDescription } from './local-runtime';
import { runtimeConfig } from './runtime-config';

const print = (text: string) => process.stdout.write(`${text}\n`);
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** `GET /retention`'s answer (the fields printed here). */
interface RetentionWire {
  policy: {
    enabled: boolean;
    archive: boolean;
    interval_ms: number;
    batch_size: number;
    batch_time_ms: number;
    pause_ms: number;
    max_run_ms: number;
    rules: { state: string; namespace: string | null; excluded_namespaces: string[]; keep_ms: number }[];
  };
  runs: {
    id: number;
    started_at: string;
    duration_ms: number;
    dry_run: boolean;
    worker_id: string;
    tasks: number;
    transitions: number;
    archived: number;
    identity_keys: number;
    batches: number;
    complete: boolean;
    error: string | null;
  }[];
}

/** `tasker retention show`: the policy, its rules and the newest runs. */
export async function retentionShowCommand(
  options: ConnectionOptions & { limit?: string; json?: boolean },
): Promise<void> {
  const query = options.limit === undefined ? '' : `?limit=${encodeURIComponent(options.limit)}`;
  await withConnection('retention show', options, async ({ client, local }) => {
    const answer = await client.request<RetentionWire>('GET', `/retention${query}`);
    if (options.json) return printJson(answer);
    const { policy, runs } = answer;
    // Each process sweeps with its own configuration: say whose policy this is.
    const whose =
      local === undefined
        ? `the policy of the process serving ${client.base}`
        : `the policy of ${options.config ?? 'the default configuration'}`;
    if (!policy.enabled) {
      print(
        `retention is off (${whose}): no state has a keep in retention.keepMs or retention.namespaces, so finished tasks are kept for ever`,
      );
    } else {
      print(
        `retention is on (${whose}): swept every ${duration(policy.interval_ms)}, by one worker process at a time`,
      );
      print(
        table(
          ['RULE', 'KEEP'],
          policy.rules.map((r) => [ruleLabel(r), duration(r.keep_ms)]),
        ),
      );
      print(
        `audit of removed tasks: ${policy.archive ? 'moved to tasker.transitions_archive' : 'deleted'}; ` +
          `batches of up to ${plural(policy.batch_size, 'task')} (slower than ${duration(policy.batch_time_ms)} halves the next), ` +
          `${duration(policy.pause_ms)} apart; a run stops after ${duration(policy.max_run_ms)}`,
      );
    }
    print('');
    if (runs.length === 0) return print('no retention run recorded yet');
    print(`newest ${plural(runs.length, 'run')}:`);
    print(
      table(
        [
          'STARTED',
          'KIND',
          'TASKS',
          'TRANSITIONS',
          'ARCHIVED',
          'IDENTITY KEYS',
          'BATCHES',
          'COMPLETE',
          'TOOK',
          'WORKER',
        ],
        runs.map((r) => [
          r.started_at,
          r.dry_run ? 'dry run' : 'run',
          String(r.tasks),
          String(r.transitions),
          String(r.archived),
          String(r.identity_keys),
          String(r.batches),
          r.error !== null ? 'error' : r.complete ? 'yes' : 'no',
          `${r.duration_ms} ms`,
          r.worker_id,
        ]),
      ),
    );
    for (const r of runs)
      if (r.error !== null) print(`run ${r.id} (${r.started_at}) stopped on an error: ${r.error}`);
  });
}

/** `tasker retention run [--dry-run]`: one sweep now, with the configuration's policy. */
export async function retentionRunCommand(options: { config?: string; dryRun?: boolean }): Promise<void> {
  const loaded = await runtimeConfig(options.config);
  const rules = retentionRules(loaded.retention);
  if (rules.length === 0) {
    throw new CliError(
      `${options.config === undefined ? 'no --config given' : `${options.config} has no retention policy`}: ` +
        'set retention.keepMs (or retention.namespaces) to say how long finished tasks are kept; nothing to run',
      EXIT.usage,
    );
  }
  const local = await openLocal('retention run', { config: options.config, loaded });
  try {
    const dry = options.dryRun === true;
    const result = await local.tasker.runRetention({ dryRun: dry });
    const where = storeDescription(local.config);
    const figures =
      `${plural(result.tasks, 'task')} (${plural(result.transitions, 'transition')}` +
      `${dry ? '' : `, ${result.archived} archived`}) and ${plural(result.identityKeys, 'expired identity key')}`;
    const outcome =
      result.error !== undefined
        ? 'stopped on an error'
        : result.skipped !== undefined
          ? `skipped: ${result.skipped}`
          : result.complete
            ? 'complete'
            : `incomplete: it stopped after retention.maxRunMs (${duration(local.config.retention.maxRunMs)}); run it again to go on`;
    print(
      dry
        ? `retention dry run on the ${where}: would remove ${figures}; nothing was removed`
        : `retention run on the ${where}: removed ${figures} in ${plural(result.batches, 'batch', 'batches')}; ${outcome}`,
    );
    if (dry && outcome !== 'complete') print(outcome);
    print(
      table(
        ['RULE', 'KEEP', 'FINISHED BEFORE', 'TASKS', 'TRANSITIONS', 'ARCHIVED'],
        result.byRule.map((r, i) => [
          // The run applies the policy's rules in order: the same index is the same rule.
          ruleLabel({
            state: r.state,
            namespace: r.namespace,
            excluded_namespaces: rules[i]?.excluded ?? [],
          }),
          duration(r.keepMs),
          new Date(r.cutoff).toISOString(),
          String(r.tasks),
          String(r.transitions),
          String(r.archived),
        ]),
      ),
    );
    if (result.error !== undefined) {
      throw new CliError(`the retention run stopped on an error: ${result.error}`, EXIT.failed);
    }
  } finally {
    await local.close();
  }
}
