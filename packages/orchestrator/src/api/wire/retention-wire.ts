/** The retention policy and its recorded runs → the API's snake_case JSON. */
import type { z } from 'zod';
import { type RetentionPolicy, retentionEnabled, retentionRules } from '../../engine/retention';
import type { RetentionRunRecord } from '../../store/store-retention';
import type { retentionSchema } from '../schemas/retention';
import { iso } from './time';

type RetentionWire = z.infer<typeof retentionSchema>;
type KeepWire = RetentionWire['policy']['keep_ms'];

function keepToWire(keep: Partial<Record<keyof KeepWire, number | undefined>>): KeepWire {
  return {
    complete: keep.complete ?? null,
    error: keep.error ?? null,
    cancelled: keep.cancelled ?? null,
    resolved_manually: keep.resolved_manually ?? null,
  };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * One rule's figures of a recorded run. They are stored as JSON (`by_rule`), written by the
 * engine's `RuleFigures`; a field missing from a row is 0 (null for the cutoff).
 */
function ruleFiguresToWire(r: Record<string, unknown>): RetentionWire['runs'][number]['by_rule'][number] {
  const cutoff = r.cutoff;
  return {
    state: String(r.state),
    namespace: typeof r.namespace === 'string' ? r.namespace : null,
    keep_ms: count(r.keepMs),
    cutoff: typeof cutoff === 'number' && Number.isFinite(new Date(cutoff).getTime()) ? iso(cutoff) : null,
    tasks: count(r.tasks),
    transitions: count(r.transitions),
    archived: count(r.archived),
  };
}

export function retentionRunToWire(run: RetentionRunRecord): RetentionWire['runs'][number] {
  return {
    id: run.id,
    started_at: iso(run.startedAt),
    finished_at: iso(run.finishedAt),
    duration_ms: Math.max(0, run.finishedAt - run.startedAt),
    dry_run: run.dryRun,
    worker_id: run.workerId,
    tasks: run.tasks,
    transitions: run.transitions,
    archived: run.archived,
    identity_keys: run.identityKeys,
    batches: run.batches,
    complete: run.complete,
    error: run.error ?? null,
    by_rule: run.byRule.map(ruleFiguresToWire),
  };
}

export function retentionToWire(policy: RetentionPolicy, runs: readonly RetentionRunRecord[]): RetentionWire {
  return {
    policy: {
      enabled: retentionEnabled(policy),
      keep_ms: keepToWire(policy.keepMs),
      namespaces: Object.fromEntries(
        Object.entries(policy.namespaces)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([namespace, keep]) => [namespace, keepToWire(keep)]),
      ),
      archive: policy.archive,
      interval_ms: policy.intervalMs,
      batch_size: policy.batchSize,
      batch_time_ms: policy.batchTimeMs,
      pause_ms: policy.pauseMs,
      duty_cycle: policy.dutyCycle,
      max_run_ms: policy.maxRunMs,
      rules: retentionRules(policy).map((r) => ({
        state: r.state,
        namespace: r.namespace,
        excluded_namespaces: [...r.excluded],
        keep_ms: r.keepMs,
      })),
    },
    runs: runs.map(retentionRunToWire),
  };
}
