#!/usr/bin/env node
// The `tasker` executable. It is committed (rather than pointing `bin` at dist/cli.js), so that
// installing a fresh clone, before anything is built, links it without a "Failed to create bin"
// warning; from a clone that has not been built it says so instead of failing on an import.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(
    'tasker: @tasker/orchestrator is not built (dist/cli.js is missing).\n' +
      'From a clone of the repository, build it first: npx -y pnpm@10.34.9 build\n',
  );
  process.exitCode = 1;
}
