import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import {
  installCommand,
  isMissingPeer,
  missingPeerMessage,
  type OptionalPeer,
  PGLITE_PEER,
  SWAGGER_UI_PEER,
} from './optional-peer';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

// Not installed anywhere: Node's own "not found" errors for it, from ESM and from CommonJS.
const ABSENT: OptionalPeer = { name: '@tasker-absent/pkg', range: '^1.0.0', neededFor: 'A test' };

function esmImportError(specifier: string): { code: string; message: string } {
  const script = `import(${JSON.stringify(specifier)}).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.stdout);
}

function requireError(specifier: string): unknown {
  try {
    createRequire(import.meta.url)(specifier);
  } catch (error) {
    return error;
  }
  throw new Error(`${specifier} was found`);
}

describe('optional peer dependencies', () => {
  it.each([PGLITE_PEER, SWAGGER_UI_PEER])(
    'declares $name as an optional peer with the same range',
    (peer) => {
      expect(manifest.peerDependencies[peer.name]).toBe(peer.range);
      expect(manifest.peerDependenciesMeta[peer.name]?.optional).toBe(true);
      expect(manifest.dependencies[peer.name]).toBeUndefined();
      // The version the tests run with is inside the range users are told to install.
      expect(semver.satisfies(manifest.devDependencies[peer.name] as string, peer.range)).toBe(true);
    },
  );

  it('gives the exact install command in the message', () => {
    expect(installCommand(PGLITE_PEER)).toBe('npm install @electric-sql/pglite@^0.5.17');
    expect(missingPeerMessage(SWAGGER_UI_PEER)).toBe(
      'The documentation page (/docs) needs the optional package "swagger-ui-dist", which is not installed: run `npm install swagger-ui-dist@^5.35.0`',
    );
  });

  it("recognises Node's not-found errors for the package and its subpaths, from import and require", () => {
    expect(isMissingPeer(esmImportError(ABSENT.name), ABSENT)).toBe(true);
    expect(isMissingPeer(esmImportError(`${ABSENT.name}/absolute-path.js`), ABSENT)).toBe(true);
    expect(isMissingPeer(requireError(ABSENT.name), ABSENT)).toBe(true);
    expect(isMissingPeer(requireError(`${ABSENT.name}/absolute-path.js`), ABSENT)).toBe(true);
  });

  it('does not mistake another missing package, or another error, for the peer', () => {
    expect(isMissingPeer(esmImportError('@tasker-absent/pkg-other'), ABSENT)).toBe(false);
    expect(isMissingPeer(requireError('@tasker-absent/pkg-other'), ABSENT)).toBe(false);
    expect(isMissingPeer(new Error(`'${ABSENT.name}' is broken`), ABSENT)).toBe(false);
    expect(isMissingPeer(undefined, ABSENT)).toBe(false);
  });
});
