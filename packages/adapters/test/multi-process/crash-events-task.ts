import { defineTask, type StepContext } from '@tasker/orchestrator';

/** A short chain for the crash-events test: `first → second → third`, each a few ms of work. */
export const crashChain = defineTask({
  namespace: 'ce',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 'first', handler: 'work' },
    { name: 'second', handler: 'work', dependsOn: ['first'] },
    { name: 'third', handler: 'work', dependsOn: ['second'] },
  ],
});

export const crashHandlers = {
  work: async (ctx: StepContext) => {
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(Math.random() * 6)));
    return ctx.attempt;
  },
};

/** The payload fields an event's key is made of (see the orchestrator's test/support/expected-events.ts). */
export function keyFields(p: Record<string, unknown>): Record<string, unknown> {
  return {
    taskId: p.taskId,
    stepId: p.stepId,
    stepName: p.stepName,
    attempt: p.attempt,
    fromState: p.fromState,
    toState: p.toState,
    stepNames: p.stepNames,
  };
}
