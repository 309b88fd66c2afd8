// Packs every public workspace package with `pnpm pack` (which applies publishConfig and
// turns workspace:^ into caret ranges), then checks each tarball:
//   1. publint;
//   2. "are the types wrong" with its default profile (node10 too: subpaths resolve there
//      through each package's typesVersions);
//   3. every subpath export loads with `import` and with `require` from a consumer directory
//      that holds only the unpacked tarballs and their dependencies.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, '.tmp', 'package-check');
const packs = join(work, 'packs');
const consumer = join(work, 'consumer');
rmSync(work, { recursive: true, force: true });
mkdirSync(packs, { recursive: true });
mkdirSync(join(consumer, 'node_modules'), { recursive: true });
writeFileSync(join(consumer, 'package.json'), '{"name":"consumer","private":true}\n');

const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  .packageManager.split('@')[1]
  .split('+')[0];

const dirs = readdirSync(join(root, 'packages')).sort();
const manifests = new Map();
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  manifests.set(manifest.name, { dir, manifest });
}

let failures = 0;
for (const [name, { dir }] of manifests) {
  console.log(`\n--- ${name}`);
  run('npx', ['-y', `pnpm@${pnpmVersion}`, 'pack', '--pack-destination', packs], join(root, 'packages', dir));
  const tarball = readdirSync(packs).find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`));
  if (tarball === undefined) throw new Error(`no tarball for ${name}`);
  const path = join(packs, tarball);
  try {
    run(bin('publint'), ['run', path, '--strict']);
    run(bin('attw'), [path, '--format', 'table-flipped']);
  } catch {
    failures++;
    continue;
  }
  const target = join(consumer, 'node_modules', ...name.split('/'));
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', path, '-C', target, '--strip-components=1']);
}

// Dependencies of the unpacked packages: workspace ones are the unpacked tarballs themselves;
// third-party ones are linked from the workspace install. Optional peers that a package also
// lists as devDependencies are linked too, since its subpaths that use them import them (a user
// of such a subpath installs the peer); that a subpath loads without the others' peers is
// proven by the adapters' single-peer install test.
for (const [name, { dir }] of manifests) {
  const packed = JSON.parse(
    readFileSync(join(consumer, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
  );
  const optionalPeers = Object.keys(packed.peerDependencies ?? {}).filter(
    (peer) =>
      packed.peerDependenciesMeta?.[peer]?.optional === true && peer in (packed.devDependencies ?? {}),
  );
  for (const dep of [...Object.keys(packed.dependencies ?? {}), ...optionalPeers]) {
    if (manifests.has(dep)) continue;
    const link = join(consumer, 'node_modules', ...dep.split('/'));
    mkdirSync(dirname(link), { recursive: true });
    try {
      symlinkSync(realpathSync(join(root, 'packages', dir, 'node_modules', ...dep.split('/'))), link, 'dir');
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
}

for (const [name] of manifests) {
  const packed = JSON.parse(
    readFileSync(join(consumer, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
  );
  const subpaths = Object.keys(packed.exports ?? { '.': null }).filter((s) => s !== './package.json');
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
    const esm = `import(${JSON.stringify(specifier)}).then((m) => console.log('import  ${specifier}:', Object.keys(m).length, 'exports'))`;
    const cjs = `const m = require(${JSON.stringify(specifier)}); console.log('require ${specifier}:', Object.keys(m).length, 'exports')`;
    try {
      run(process.execPath, ['--input-type=module', '-e', esm], consumer);
      run(process.execPath, ['--input-type=commonjs', '-e', cjs], consumer);
    } catch {
      failures++;
    }
  }
}

if (failures > 0) {
  console.error(`\n${failures} package check(s) failed`);
  process.exit(1);
}
console.log(`\n${manifests.size} packages packed and checked`);
