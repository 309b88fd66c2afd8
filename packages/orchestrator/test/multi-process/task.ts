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
