import { defineConfig, type Options } from 'tsup';

/**
 * The one build shape every package shares: ESM + CJS + `.d.ts`/`.d.cts`, no bundled
 * dependencies, Node 20 syntax. A package passes its entry points (one per subpath export),
 * and, in `esmOnly`, entries that only Node runs as programs (a CLI): those are built once, as
 * ESM, without declarations.
 *
 * No source maps are shipped. The output is not minified and keeps the sources' names,
 * comments aside, so a stack trace into `dist/` reads like the source; maps would more than
 * double every tarball (the orchestrator's tarball went from 812 KB to 225 KB without them), and
 * a map without `sourcesContent` points at `src/` files the tarball does not contain.
 */
export function packageBuild(
  entry: Record<string, string>,
  esmOnly: Record<string, string> = {},
): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
  };
  if (Object.keys(esmOnly).length === 0) return defineConfig(options);
  // The two builds run concurrently into the same `dist/`: the first cleans everything but the
  // second's outputs (which the second overwrites), so no stale file (an old `cli.cjs`) survives.
  const keep = Object.keys(esmOnly).map((name) => `!${name}.js`);
  return defineConfig([
    { ...options, clean: keep },
    { ...options, entry: esmOnly, format: ['esm'], dts: false, clean: false },
  ]);
}
