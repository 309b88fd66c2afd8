/**
 * The README's cluster program (## Several processes) runs as a user would run it — a real
 * `node:cluster` of two workers, from an ES module (`.mts`: the top-level await) — and prints
 * what the README says.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { runToExit } from '../../../../test-support/src/run-to-exit';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const root = fileURLToPath(new URL('../../../../', import.meta.url));

function block(after: string, language: string): string {
  const start = readme.indexOf(after);
  if (start < 0) throw new Error(`README has no "${after}"`);
  const open = readme.indexOf(`\`\`\`${language}\n`, start);
  return readme.slice(open + 4 + language.length, readme.indexOf('```', open + 4 + language.length));
}

const files: string[] = [];
afterEach(() => {
  for (const file of files.splice(0)) rmSync(file, { force: true });
});

it('serves the merged scrape of a two-worker cluster, as the README prints it', async () => {
  const source = block('## Several processes', 'ts');
  const expected = block('## Several processes', 'text');
  const src = (name: string) =>
    JSON.stringify(fileURLToPath(new URL(`../../../${name}/src/index.ts`, import.meta.url)));
  const file = join(tmpdir(), `exporter-readme-cluster-${randomUUID()}.mts`);
  files.push(file);
  expect(source).toContain('port: 9464');
  writeFileSync(
    file,
    source
      .replace("from '@tasker/metrics-native'", `from ${src('metrics-native')}`)
      .replace("from '@tasker/exporter-prometheus'", `from ${src('exporter-prometheus')}`)
      .replace('port: 9464', 'port: 0'),
  );
  const run = await runToExit(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
    cwd: root,
    timeoutMs: 60_000,
  });
  expect(run.stderr).toBe('');
  expect(run).toMatchObject({ code: 0, timedOut: false });
  expect(run.stdout).toBe(expected);
}, 70_000);
