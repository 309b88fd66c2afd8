import { defineConfig, type Options } from 'tsup';

/**
 * The one build shape every package shares: ESM + CJS + `.d.ts`/`.d.cts`, no bundled
 * dependencies, Node 20 syntax. A package passes its entry points (one per subpath export).
 */
export function packageBuild(entry: Record<string, string>): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
  return defineConfig(options);
}
