/**
 * What a worker claims: the claim keys of the definitions it registered, in the queues it
 * takes. A step is claimed only by a worker that has its definition's exact version, so a
 * rolling deploy never hands a step to a worker without its handler: the step waits for one.
 */
import type { TaskDefinition } from '../definitions/define-task';
import { claimKey, LEGACY_CLAIM_KEY } from '../store/claim-key';

/**
 * The claim keys for `definitions` in `queues` (every queue they name when undefined), sorted,
 * plus the key of steps written before claim routing, which any worker claims.
 */
export function claimKeysFor(
  definitions: readonly TaskDefinition[],
  queues: readonly string[] | undefined,
): string[] {
  const wanted = queues === undefined ? undefined : new Set(queues);
  const keys = new Set<string>([LEGACY_CLAIM_KEY]);
  for (const d of definitions) {
    for (const step of d.steps) {
      if (wanted === undefined || wanted.has(step.queue))
        keys.add(claimKey(step.queue, d.namespace, d.name, d.version));
    }
  }
  return [...keys].sort();
}
