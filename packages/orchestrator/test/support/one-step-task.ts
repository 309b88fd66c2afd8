/** A store-level task of one step `a`, for tests that write tasks through the store directly. */
import type { NewTask } from '../../src/index';

export function oneStepTask(extra: Partial<NewTask> = {}): NewTask {
  return {
    namespace: 'test',
    name: 'one-step',
    version: '1.0.0',
    context: {},
    tags: [],
    annotations: {},
    bypassSteps: [],
    steps: [
      {
        name: 'a',
        handler: 'a',
        retryable: true,
        retryLimit: 0,
        timeoutMs: undefined,
        skippable: false,
        dependsOn: [],
      },
    ],
    ...extra,
  };
}
