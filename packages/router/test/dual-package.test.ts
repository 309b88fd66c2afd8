import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Loads the built ESM and CJS files side by side, as an application that mixes both would.
// The root `test` script builds first.
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
type RouterModule = typeof import('../src/index');

async function load(): Promise<{ esm: RouterModule; cjs: RouterModule }> {
  if (!existsSync(join(dist, 'index.cjs')))
    throw new Error(`no build in ${dist}: run the build first (pnpm build)`);
  const esm = (await import(pathToFileURL(join(dist, 'index.js')).href)) as RouterModule;
  const cjs = createRequire(import.meta.url)(join(dist, 'index.cjs')) as RouterModule;
  return { esm, cjs };
}

describe('the built package, ESM next to CJS', () => {
  it('exposes the same surface from both formats', async () => {
    const { esm, cjs } = await load();
    expect(Object.keys(esm).sort()).toEqual(Object.keys(cjs).sort());
    expect(esm.createEventRouter).not.toBe(cjs.createEventRouter);
  });

  it('recognises errors thrown by the other copy', async () => {
    const { esm, cjs } = await load();
    let fromCjs: unknown;
    try {
      cjs.createEventMapping({ eventName: 'a.b', samplingRate: 2 });
    } catch (error) {
      fromCjs = error;
    }
    expect(fromCjs).not.toBeInstanceOf(esm.RouterError);
    expect(esm.isRouterError(fromCjs)).toBe(true);
    expect((fromCjs as { code: string }).code).toBe('EVENT_MAPPING_INVALID');
  });

  it('routes with a mapping made by the other copy', async () => {
    const { esm, cjs } = await load();
    const seen: string[] = [];
    const router = esm.createEventRouter({
      mappings: [cjs.createEventMapping({ eventName: 'task.completed', backends: ['x'] })],
      backends: { x: { name: 'x', handle: (e) => void seen.push(e.name) } },
    });
    router.route('task.completed', { taskId: 't', namespace: 'n', taskName: 'm', version: '1.0.0' });
    expect(seen).toEqual(['task.completed']);
  });
});
