/**
 * A step's claim key: what a worker must have registered to claim it, the step's queue and its
 * task definition's exact version. Namespaces, names and queues are identifiers (no space, `/`
 * or `@`), so the key is unambiguous. The empty key marks steps written before claim routing
 * (a 0.1 engine): every worker claims those, as 0.1 workers did.
 */
export function claimKey(queue: string, namespace: string, name: string, version: string): string {
  return `${queue} ${namespace}/${name}@${version}`;
}

/** The key of steps written by an engine without claim routing. */
export const LEGACY_CLAIM_KEY = '';

/** The queue of a step whose definition names none. */
export const DEFAULT_QUEUE = 'default';
