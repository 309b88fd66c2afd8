// Builds the browser app (ui/) into dist/ui/ with esbuild: one minified ES module and one
// stylesheet, nothing fetched from elsewhere at run time. Then checks the budget of issue #15:
// every file of the app, gzipped, at most 250 KB together; above it the build fails. Writes
// dist/ui/manifest.json, the list of files the server part serves (and nothing else).
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const BUDGET_BYTES = 250 * 1024;
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'dist', 'ui');
const budget = Number(process.env.TASKER_DASHBOARD_BUDGET_BYTES ?? BUDGET_BYTES);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(pkg, 'ui', 'main.tsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome115', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(pkg, 'ui', 'tsconfig.json'),
  logLevel: 'warning',
});
// The icon is served from the mount too: without a <link rel="icon">, a browser asks the
// server's root for /favicon.ico, which is not the dashboard's to answer.
copyFileSync(join(pkg, 'ui', 'favicon.svg'), join(out, 'favicon.svg'));
const files = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};
const hash = createHash('sha256');
const sizes = [];
let gzipBytes = 0;
for (const name of Object.keys(files)) {
  const body = readFileSync(join(out, name));
  hash.update(body);
  const gz = gzipSync(body, { level: 9 }).length;
  gzipBytes += gz;
  sizes.push(`${name} ${(body.length / 1024).toFixed(1)} KB (${(gz / 1024).toFixed(1)} KB gzipped)`);
}
const manifest = { version: hash.digest('hex').slice(0, 16), files, gzipBytes };
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const total = `${(gzipBytes / 1024).toFixed(1)} KB gzipped of ${(budget / 1024).toFixed(0)} KB`;
if (gzipBytes > budget) {
  rmSync(out, { recursive: true, force: true });
  console.error(`@tasker/dashboard: the browser bundle is ${total}: over budget (${sizes.join(', ')})`);
  process.exit(1);
}
console.log(`@tasker/dashboard: browser bundle ${total} (${sizes.join(', ')})`);
