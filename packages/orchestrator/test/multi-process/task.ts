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
