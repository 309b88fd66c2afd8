/**
 * The definitions of the flow-control benchmark (issue #14), shared by the benchmark and its
 * worker processes (`orchestrator-flow-worker.ts`).
 *
 * - Three 4-step chains (s1 → s2 → s3 → s4), the orchestrator benchmark's chain with or without
 *   a concurrency key on every step: `bench.chain` none; `bench.chain_wide` the constant key
 *   `bench-wide` with a limit of 1,000, which 32 handlers never reach (every claim and every
 *   step's end still go through the key); `bench.chain_keyed` the key `context.k` with a limit of
 *   8, where the benchmark gives 40 consecutive chains the same `k` (50 keys): the oldest ready
 *   steps share a key, so the limit parks most of them while other keys run.
 * - `bench.delayed`, one step, submitted with `runAt`.
 */
import { defineTask, type StepHandler, type TaskDefinition } from '@tasker/orchestrator';

/** What each chain variant is, for the report. */
export const CHAIN_VARIANTS = {
  none: 'no concurrency key',
  wide: 'one constant key, limit 1,000 (never reached)',
  keyed: '50 keys (context.k, consecutive chains share one), limit 8 per key',
} as const;

export type ChainVariant = keyof typeof CHAIN_VARIANTS;

/** Keys and chains per key of the `keyed` variant. */
export const KEYED = { keys: 50, limit: 8 } as const;
export const WIDE_LIMIT = 1_000;

const chainSteps = (handler: StepHandler) => [
  { name: 's1', handler },
  { name: 's2', handler, dependsOn: ['s1'] },
  { name: 's3', handler, dependsOn: ['s2'] },
  { name: 's4', handler, dependsOn: ['s3'] },
];

/** The three chain definitions, every step run by `handler`. */
export function flowChainDefinitions(handler: StepHandler): Record<ChainVariant, TaskDefinition> {
  return {
    none: defineTask({ namespace: 'bench', name: 'chain', version: '1.0.0', steps: chainSteps(handler) }),
    wide: defineTask({
      namespace: 'bench',
      name: 'chain_wide',
      version: '1.0.0',
      concurrency: { key: 'bench-wide', limit: WIDE_LIMIT },
      steps: chainSteps(handler),
    }),
    keyed: defineTask({
      namespace: 'bench',
      name: 'chain_keyed',
      version: '1.0.0',
      concurrency: { key: 'context.k', limit: KEYED.limit },
      steps: chainSteps(handler),
    }),
  };
}

/** One step, `noop`: submitted with a `runAt`, for the start latency. */
export const delayedTask = defineTask({
  namespace: 'bench',
  name: 'delayed',
  version: '1.0.0',
  steps: [{ name: 'go', handler: 'noop' }],
});
