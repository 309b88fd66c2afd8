/**
 * The tasks and steps the store contract's parts create: defaults that every store accepts,
 * overridden field by field. Each part names its own namespace, and every task gets a name of
 * its own, so that the parts never see each other's tasks.
 */
import type { NewStep, NewTask } from '../store/task-store';

/** A step: retryable twice, no timeout, not skippable, no parents unless `extra` says. */
export const contractStep = (name: string, extra: Partial<NewStep> = {}): NewStep => ({
  name,
  handler: name,
  retryable: true,
  retryLimit: 2,
  timeoutMs: undefined,
  skippable: false,
  dependsOn: [],
  ...extra,
});

let counter = 0;

/** A task of `namespace` with `steps`, named `<prefix><n>` with a fresh n (also in its context). */
export const contractTask = (
  namespace: string,
  prefix: string,
  steps: NewStep[],
  extra: Partial<NewTask> = {},
): NewTask => {
  const n = ++counter;
  return {
    namespace,
    name: `${prefix}${n}`,
    version: '1.0.0',
    context: { n },
    tags: [],
    annotations: {},
    bypassSteps: [],
    steps,
    ...extra,
  };
};
