// Checks that every changeset in .changeset/ is valid: front matter that parses, bumps of
// "major" | "minor" | "patch" for public workspace packages only, and a non-empty summary.
// Then asks changesets itself (`changeset status`) to assemble the release plan.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parse from '@changesets/parse';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, '.changeset');

const packages = new Map();
for (const base of ['packages']) {
  for (const name of readdirSync(join(root, base))) {
    const manifest = JSON.parse(readFileSync(join(root, base, name, 'package.json'), 'utf8'));
    packages.set(manifest.name, manifest);
  }
}

const problems = [];
const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
for (const file of files) {
  let changeset;
  try {
    changeset = parse(readFileSync(join(dir, file), 'utf8'));
  } catch (error) {
    problems.push(`${file}: ${error.message}`);
    continue;
  }
  if (changeset.releases.length === 0) problems.push(`${file}: names no package`);
  if (changeset.summary.trim().length === 0) problems.push(`${file}: has no summary`);
  for (const release of changeset.releases) {
    const manifest = packages.get(release.name);
    if (manifest === undefined)
      problems.push(`${file}: "${release.name}" is not a package of this workspace`);
    else if (manifest.private) problems.push(`${file}: "${release.name}" is private and is never released`);
    if (!['major', 'minor', 'patch'].includes(release.type)) {
      problems.push(`${file}: "${release.name}" has bump "${release.type}", expected major, minor or patch`);
    }
  }
}
if (problems.length > 0) {
  console.error(`invalid changesets:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${files.length} changeset(s) valid`);
execFileSync(join(root, 'node_modules/.bin/changeset'), ['status', '--verbose'], {
  cwd: root,
  stdio: 'inherit',
});
