import { describe, expect, it } from 'vitest';
import { runWithMiddleware, type StepInfo, type StepMiddleware } from './middleware';

const info: StepInfo = {
  taskId: 't',
  stepId: 's',
  stepName: 'step',
  namespace: 'n',
  taskName: 'task',
  version: '1.0.0',
  attempt: 1,
  retryLimit: 3,
  traceContext: undefined,
  signal: new AbortController().signal,
};

function recording(name: string, trail: string[]): StepMiddleware {
  return async (step, run) => {
    expect(step).toBe(info);
    trail.push(`${name} in`);
    const result = await run();
    trail.push(`${name} out`);
    return `${name}(${String(result)})`;
  };
}

describe('runWithMiddleware', () => {
  it('runs the handler alone without middleware', async () => {
    await expect(runWithMiddleware([], info, async () => 'r')).resolves.toBe('r');
  });

  it('runs one middleware around the handler', async () => {
    const trail: string[] = [];
    const result = await runWithMiddleware([recording('a', trail)], info, async () => {
      trail.push('handler');
      return 'r';
    });
    expect(result).toBe('a(r)');
    expect(trail).toEqual(['a in', 'handler', 'a out']);
  });

  it('nests several, the first outermost, each seeing the same step', async () => {
    const trail: string[] = [];
    const result = await runWithMiddleware(
      ['a', 'b', 'c'].map((n) => recording(n, trail)),
      info,
      async () => {
        trail.push('handler');
        return 'r';
      },
    );
    expect(result).toBe('a(b(c(r)))');
    expect(trail).toEqual(['a in', 'b in', 'c in', 'handler', 'c out', 'b out', 'a out']);
  });

  it('lets a middleware skip the handler or fail the attempt', async () => {
    let ran = false;
    const handler = async () => {
      ran = true;
      return 'r';
    };
    await expect(runWithMiddleware([async () => 'cached'], info, handler)).resolves.toBe('cached');
    await expect(
      runWithMiddleware([recording('a', []), () => Promise.reject(new Error('refused'))], info, handler),
    ).rejects.toThrow('refused');
    expect(ran).toBe(false);
  });
});
