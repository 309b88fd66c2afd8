import { defineTask } from '../../src/index';

/** A fan-out of 10 steps after a root: 11 steps per task. */
export const multiProcessTask = defineTask({
  namespace: 'mp',
  name: 'fanout',
  version: '1.0.0',
  steps: [
    { name: 'root', handler: 'work' },
    ...Array.from({ length: 10 }, (_, i) => ({ name: `leaf${i}`, handler: 'work', dependsOn: ['root'] })),
  ],
});

/**
 * A chain whose middle step hangs on its first attempt (the process running it is killed) and
 * completes on any later one: `prepare → slow → finish`.
 */
export const leaseTask = defineTask({
  namespace: 'mp',
  name: 'lease',
  version: '1.0.0',
  steps: [
    { name: 'prepare', handler: 'work' },
    { name: 'slow', handler: 'hangOnFirstAttempt', dependsOn: ['prepare'] },
    { name: 'finish', handler: 'work', dependsOn: ['slow'] },
  ],
});

/**
 * Steps that take a while and honour their signal (`timed`, `handlerConfig.ms`): a short root,
 * five 1 s leaves and one 12 s leaf, which outlives the 10 s database outage of
 * `database-outage.test.ts`. Lost leases are retried, so each step may be attempted many times.
 */
export const outageTask = defineTask({
  namespace: 'mp',
  name: 'outage',
  version: '1.0.0',
  steps: [
    { name: 'root', handler: 'timed', handlerConfig: { ms: 500 }, retryLimit: 20 },
    ...Array.from({ length: 5 }, (_, i) => ({
      name: `short${i}`,
      handler: 'timed',
      handlerConfig: { ms: 1_000 },
      dependsOn: ['root'],
      retryLimit: 20,
    })),
    { name: 'long', handler: 'timed', handlerConfig: { ms: 12_000 }, dependsOn: ['root'], retryLimit: 20 },
  ],
});

/** Version 1.0.0 of a task being redeployed: two `work` steps. */
export const deployV1 = defineTask({
  namespace: 'mp',
  name: 'deploy',
  version: '1.0.0',
  steps: [
    { name: 'v1_first', handler: 'work' },
    { name: 'v1_second', handler: 'work', dependsOn: ['v1_first'] },
  ],
});

/** Version 2.0.0 of the same task, with other steps: only a worker that has it may run them. */
export const deployV2 = defineTask({
  namespace: 'mp',
  name: 'deploy',
  version: '2.0.0',
  steps: [
    { name: 'v2_first', handler: 'work' },
    { name: 'v2_second', handler: 'work', dependsOn: ['v2_first'] },
    { name: 'v2_third', handler: 'work', dependsOn: ['v2_first'] },
  ],
});
