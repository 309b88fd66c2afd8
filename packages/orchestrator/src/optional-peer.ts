/**
 * The optional peer dependencies that are heavy enough to leave to the user: PGlite (about
 * 27 MB, the default embedded store) and swagger-ui-dist (about 12 MB, the `/docs` page, with an
 * analytics postinstall in its own dependency). Neither is imported until it is used, and a
 * missing one is reported with the exact command that installs it. The ranges are those of
 * `peerDependencies` in package.json (a unit test keeps the two equal).
 */

/** One optional peer dependency: its package name, the range we support, and what needs it. */
export interface OptionalPeer {
  readonly name: string;
  readonly range: string;
  readonly neededFor: string;
}

/** PGlite: the default store when none is configured. */
export const PGLITE_PEER: OptionalPeer = Object.freeze({
  name: '@electric-sql/pglite',
  range: '^0.5.17',
  neededFor: 'The embedded PGlite store (the default when no store is configured)',
});

/** swagger-ui-dist: the interactive documentation page at `/docs`. */
export const SWAGGER_UI_PEER: OptionalPeer = Object.freeze({
  name: 'swagger-ui-dist',
  range: '^5.35.0',
  neededFor: 'The documentation page (/docs)',
});

/** `npm install <name>@<range>`: the command that installs `peer`. */
export function installCommand(peer: OptionalPeer): string {
  return `npm install ${peer.name}@${peer.range}`;
}

/** The message for a missing peer: what needs it, that it is absent, and how to install it. */
export function missingPeerMessage(peer: OptionalPeer, alternative?: string): string {
  const otherwise = alternative === undefined ? '' : `, or ${alternative}`;
  return `${peer.neededFor} needs the optional package "${peer.name}", which is not installed: run \`${installCommand(peer)}\`${otherwise}`;
}

/**
 * True when `error` is Node's "cannot find package" for `peer` itself (ESM's
 * `ERR_MODULE_NOT_FOUND` or CommonJS's `MODULE_NOT_FOUND`), not for something the package
 * failed to load inside it.
 */
export function isMissingPeer(error: unknown, peer: OptionalPeer): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return (
    typeof message === 'string' && new RegExp(`['"]${escapeRegExp(peer.name)}(/[^'"]*)?['"]`).test(message)
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
